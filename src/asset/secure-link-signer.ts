import { createHash, timingSafeEqual } from 'node:crypto';
import type { UrlSigner } from './url-signer.js';

/** One key of the secure_link scheme; its id travels in the URL so that two can be valid during a rotation. */
export interface SecureLinkKey {
  readonly kid: string;
  readonly secret: string;
}

/**
 * URLs nginx's `secure_link` module checks with
 *
 *     secure_link $arg_md5,$arg_expires;
 *     secure_link_md5 "$secure_link_expires$uri $asset_secret";
 *
 * where `$asset_secret` is mapped from `$arg_kid`. `md5` is the base64url MD5
 * of "<expires><path> <secret>": MD5 is the only digest the module offers. It
 * is a keyed digest, not an HMAC; forging one still needs the secret, and the
 * paths it covers are keys the service chose, never text an attacker picks.
 * The first key signs; every key listed verifies.
 */
export function secureLinkSigner(keys: readonly SecureLinkKey[]): UrlSigner & { verify(url: URL, now?: Date): boolean } {
  const [current] = keys;
  if (!current) throw new Error('secure_link signing needs at least one key');
  return {
    sign(url, expiresAt) {
      const parsed = new URL(url);
      const expires = Math.floor(expiresAt.getTime() / 1000);
      parsed.search = new URLSearchParams({
        md5: digest(expires, parsed.pathname, current.secret),
        expires: String(expires),
        kid: current.kid,
      }).toString();
      return parsed.toString();
    },
    verify(url, now = new Date()) {
      const md5 = url.searchParams.get('md5') ?? '';
      const expires = Number(url.searchParams.get('expires'));
      const key = keys.find((k) => k.kid === url.searchParams.get('kid'));
      if (!key || !Number.isInteger(expires) || expires * 1000 <= now.getTime()) return false;
      const expected = Buffer.from(digest(expires, url.pathname, key.secret));
      const given = Buffer.from(md5);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

function digest(expires: number, path: string, secret: string): string {
  return createHash('md5').update(`${expires}${path} ${secret}`).digest('base64url');
}
