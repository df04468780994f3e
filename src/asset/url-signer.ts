/**
 * Signs delivery URLs for the CDN edge in front of storage. Which scheme is
 * configuration (ASSET_URL_SIGNER): CloudFront signed URLs, or the token
 * nginx's `secure_link` checks (see secure-link-signer.ts).
 */
export interface UrlSigner {
  /** `url` (on the CDN base) made valid until `expiresAt` and no longer. */
  sign(url: string, expiresAt: Date): string;
}
