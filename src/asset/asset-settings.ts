import { bool, ConfigError, type ConfigOf, derived, int, oneOf, optional, port, SAME_ROW, string, url } from '../config-schema.js';
import type { S3Settings } from './object-storage.js';
import type { SecureLinkKey } from './secure-link-signer.js';

/** How delivery URLs are signed. */
export type SignerSettings =
  | { readonly kind: 'secure_link'; readonly keys: readonly SecureLinkKey[] }
  | { readonly kind: 'cloudfront'; readonly keyPairId: string; readonly privateKeyFile: string };

const KID = /^[A-Za-z0-9_-]{1,32}$/;
/** Public, so worthless: signs URLs only when nothing is configured outside production. */
const DEVELOPMENT_KEY: SecureLinkKey = { kid: 'dev', secret: 'campus-data-development-asset-url-key' };
const GiB = 1024 * 1024 * 1024;
const HTTP = ['http:', 'https:'];

/**
 * The asset module's section of the config (ASSET_*), `config.assets`: its
 * variables in README order, validated at boot with the rest of the config.
 */
export const assetSchema = {
  /** External S3-compatible storage; undefined: the embedded S3-compatible server under DATA_DIR. */
  storage: derived(
    {
      kind: oneOf('ASSET_STORAGE', ['embedded', 's3'], 'embedded').doc(
        '`embedded`: an in-process S3-compatible server (s3rver) keeping asset objects under `DATA_DIR/assets`, on `127.0.0.1:ASSET_EMBEDDED_STORAGE_PORT`; `s3`: the S3 API at the settings below (S3, R2, GCS, MinIO, Ceph; docs/assets.md)',
      ),
      endpoint: url('ASSET_STORAGE_ENDPOINT', HTTP).doc(
        "with `ASSET_STORAGE=s3`: the S3 API's URL, e.g. `http://minio:9000`",
        'AWS S3 of the region',
      ),
      region: string('ASSET_STORAGE_REGION', 'us-east-1').doc('the bucket asset objects live in'),
      bucket: string('ASSET_STORAGE_BUCKET', 'campus-assets').doc(SAME_ROW),
      accessKeyId: optional('ASSET_STORAGE_ACCESS_KEY_ID').doc(
        'credentials, both or neither (unset: environment, profile or instance role)',
        "the SDK's default chain",
      ),
      secretAccessKey: optional('ASSET_STORAGE_SECRET_ACCESS_KEY').doc(SAME_ROW, "the SDK's default chain"),
      forcePathStyle: bool('ASSET_STORAGE_PATH_STYLE', true).doc(
        'path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need; `false` for virtual-hosted buckets',
      ),
    },
    (get): S3Settings | undefined => {
      if (get.kind() !== 's3') return undefined;
      const accessKeyId = get.accessKeyId();
      const secretAccessKey = get.secretAccessKey();
      if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
        throw new ConfigError('ASSET_STORAGE_ACCESS_KEY_ID and ASSET_STORAGE_SECRET_ACCESS_KEY must be set together');
      }
      return {
        endpoint: get.endpoint(),
        region: get.region(),
        bucket: get.bucket(),
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
        forcePathStyle: get.forcePathStyle(),
      };
    },
  ),
  embeddedStoragePort: port('ASSET_EMBEDDED_STORAGE_PORT', 9470).doc(
    'loopback ports of the embedded storage and of the embedded edge (`0`: any free one)',
  ),
  embeddedEdgePort: port('ASSET_EMBEDDED_EDGE_PORT', 9480).doc(SAME_ROW),
  /** Where delivery URLs point; undefined: the embedded edge. */
  cdnBaseUrl: url('ASSET_CDN_BASE_URL', HTTP).doc(
    'the CDN delivery URLs are issued on (CloudFront distribution, nginx edge)',
    'the embedded edge, `http://127.0.0.1:9480/`',
  ),
  signer: derived(
    {
      kind: oneOf('ASSET_URL_SIGNER', ['secure_link', 'cloudfront'], 'secure_link').doc(
        "`secure_link`: URLs nginx's `secure_link` checks (and the embedded edge); `cloudfront`: CloudFront signed URLs (canned policy)",
      ),
      keys: optional('ASSET_URL_KEYS').doc(
        '`kid:secret,...` for `secure_link` (secrets of 16+ characters, `openssl rand -base64 24`): the first signs, the edge accepts all (rotation: docs/assets.md)',
        'a development key (refused with `NODE_ENV=production`)',
      ),
      keyPairId: optional('ASSET_CLOUDFRONT_KEY_PAIR_ID').doc(
        "for `cloudfront`: the public key's id in the distribution's key group, and the PEM RSA private key file",
      ),
      privateKeyFile: optional('ASSET_CLOUDFRONT_PRIVATE_KEY_FILE').doc(SAME_ROW),
    },
    (get, { production }): SignerSettings => {
      const kind = get.kind();
      if (kind === 'cloudfront') {
        const keyPairId = get.keyPairId();
        const privateKeyFile = get.privateKeyFile();
        if (!keyPairId || !privateKeyFile) {
          throw new ConfigError('ASSET_URL_SIGNER=cloudfront needs ASSET_CLOUDFRONT_KEY_PAIR_ID and ASSET_CLOUDFRONT_PRIVATE_KEY_FILE');
        }
        return { kind, keyPairId, privateKeyFile };
      }
      const raw = get.keys();
      if (raw === undefined) {
        if (production) throw new ConfigError('ASSET_URL_KEYS is required when NODE_ENV=production and ASSET_URL_SIGNER=secure_link');
        return { kind, keys: [DEVELOPMENT_KEY] };
      }
      return { kind, keys: secureLinkKeys(raw) };
    },
  ),
  /** Life of a signed delivery URL, and of a presigned upload, in seconds. */
  urlTtlS: int('ASSET_URL_TTL_S', 300, 10, 86_400).doc('life of a signed delivery URL and of a presigned upload, in seconds'),
  uploadTtlS: int('ASSET_UPLOAD_TTL_S', 900, 60, 604_800).doc(SAME_ROW),
  /** Largest asset accepted (S3's single PUT allows 5 GiB). */
  maxBytes: int('ASSET_MAX_BYTES', 5 * GiB, 1, 5 * GiB).doc('largest asset CreateAsset accepts (one S3 PUT)', '`5368709120` (5 GiB)'),
  pendingMaxAgeMs: int('ASSET_PENDING_MAX_AGE_MS', 24 * 3_600_000, 1_000, 30 * 24 * 3_600_000).doc(
    'PENDING assets older than this are swept, object and row',
    '`86400000` (24 h)',
  ),
  sweepIntervalMs: int('ASSET_SWEEP_INTERVAL_MS', 600_000, 0, 86_400_000).doc(
    'how often the sweep runs and the asset gauges refresh; `0`: only at start',
  ),
  /** Where deletions are POSTed for a CDN purge; undefined: logged only. */
  purgeUrl: url('ASSET_PURGE_URL', HTTP).doc(
    'deleted assets\' URLs are POSTed here as `{"urls":[...]}` for a CDN purge',
    'none (deletions are logged)',
  ),
};

/** The asset settings, validated at boot with the rest of the config. */
export type AssetSettings = ConfigOf<typeof assetSchema>;

/** ASSET_URL_KEYS: `kid:secret,...`; errors name the entry, never a secret. */
function secureLinkKeys(raw: string): SecureLinkKey[] {
  const keys = raw.split(',').map((entry, i): SecureLinkKey => {
    const colon = entry.indexOf(':');
    const kid = entry.slice(0, colon).trim();
    const secret = entry.slice(colon + 1).trim();
    if (colon < 0 || !KID.test(kid) || secret.length < 16 || /\s/.test(secret)) {
      throw new ConfigError(`ASSET_URL_KEYS[${i}] must be "<key id>:<secret of 16 or more characters, no spaces>"`);
    }
    return { kid, secret };
  });
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new ConfigError('ASSET_URL_KEYS names a key id twice');
  return keys;
}
