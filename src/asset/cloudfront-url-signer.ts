import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import type { UrlSigner } from './url-signer.js';

/** The key CloudFront knows by its id (a public key in the distribution's trusted key group). */
export interface CloudFrontKey {
  readonly keyPairId: string;
  /** PEM RSA private key. */
  readonly privateKey: string;
}

/**
 * CloudFront signed URLs with a canned policy (the URL and an expiry, signed
 * with RSA-SHA1 as CloudFront requires). Rotation happens in the key group:
 * add the new public key, switch this key, remove the old one once the last
 * URL it signed has expired.
 */
export function cloudFrontSigner(key: CloudFrontKey): UrlSigner {
  return {
    sign: (url, expiresAt) =>
      getSignedUrl({ url, keyPairId: key.keyPairId, privateKey: key.privateKey, dateLessThan: expiresAt.toISOString() }),
  };
}
