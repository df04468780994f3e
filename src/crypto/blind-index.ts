import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** How an email is compared: surrounding space ignored, case-insensitive. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The blind index of emails: HMAC-SHA256 (hex) of the normalized email under
 * its own key. Equal emails (ignoring case) give equal indexes, so the unique
 * index and lookups work on it; without the key it reveals nothing but
 * equality. The input is prefixed with the column it indexes, so the same
 * key could index another column without the two matching each other.
 */
export class BlindIndex {
  private readonly key: KeyObject;

  constructor(key: Buffer) {
    this.key = createSecretKey(key);
  }

  /** The users.email_key value of `email`. */
  ofEmail(email: string): string {
    return createHmac('sha256', this.key)
      .update(`users.email_key\0${normalizeEmail(email)}`)
      .digest('hex');
  }
}
