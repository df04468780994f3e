import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config.js';
import { SealedValueError } from './sealed-value-error.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v1.<kid>.<base64url(iv | ciphertext | tag)>` */
const SEALED = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]+)$/;

/**
 * AES-256-GCM over text values with key rotation. A sealed value is
 * `v1.<kid>.<base64url(iv | ciphertext | tag)>`: a random 96-bit IV per value,
 * and the id of the key that sealed it, so values sealed under any configured
 * key open while new values use the first one. The associated data is the
 * version, the key id and a context naming where the value lives (e.g.
 * `users.email`): a value copied into another column, or relabelled with
 * another key id, fails authentication instead of opening.
 */
export class KeyRing {
  private readonly keys: ReadonlyMap<string, KeyObject>;
  /** The key id new values are sealed under. */
  readonly primaryKid: string;

  constructor(keys: readonly EncryptionKey[]) {
    const [primary] = keys;
    if (!primary) throw new Error('a key ring needs at least one key');
    this.primaryKid = primary.kid;
    this.keys = new Map(keys.map((k) => [k.kid, createSecretKey(k.key)]));
  }

  /** Seals `plaintext` under the primary key, bound to `context`. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primaryKid) as KeyObject, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${this.primaryKid}.${context}`));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${this.primaryKid}.${body.toString('base64url')}`;
  }

  /**
   * The plaintext of a value sealed for `context`; throws SealedValueError
   * for anything that does not authenticate (never returns garbage).
   */
  open(sealed: string, context: string): string {
    const match = SEALED.exec(sealed);
    if (!match) throw new SealedValueError(`${context}: the stored value is not a sealed value`);
    const [, kid = '', encoded = ''] = match;
    const key = this.keys.get(kid);
    if (!key) throw new SealedValueError(`${context}: the value is sealed under key id "${kid}", which ENCRYPTION_KEYS does not hold`);
    const body = Buffer.from(encoded, 'base64url');
    if (body.length < IV_BYTES + TAG_BYTES) throw new SealedValueError(`${context}: the sealed value is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      throw new SealedValueError(`${context}: the value sealed under key id "${kid}" failed authentication`);
    }
  }

  /** The key id a sealed value names, or undefined when it is not one. */
  kidOf(value: string): string | undefined {
    return SEALED.exec(value)?.[1];
  }
}
