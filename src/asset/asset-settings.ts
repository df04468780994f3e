import { ConfigError, type EnvReader } from '../config.js';
import type { S3Settings } from './object-storage.js';
import type { SecureLinkKey } from './secure-link-signer.js';

/** How delivery URLs are signed. */
export type SignerSettings =
  | { readonly kind: 'secure_link'; readonly keys: readonly SecureLinkKey[] }
  | { readonly kind: 'cloudfront'; readonly keyPairId: string; readonly privateKeyFile: string };

/** The asset settings (ASSET_*), validated at boot with the rest of the config. */
export interface AssetSettings {
  /** External S3-compatible storage; undefined: the embedded S3-compatible server under DATA_DIR. */
  readonly storage: S3Settings | undefined;
  readonly embeddedStoragePort: number;
  /** Where delivery URLs point; undefined: the embedded edge. */
  readonly cdnBaseUrl: string | undefined;
  readonly embeddedEdgePort: number;
  readonly signer: SignerSettings;
  /** Life of a presigned upload, and of a signed delivery URL, in seconds. */
  readonly uploadTtlS: number;
  readonly urlTtlS: number;
  /** Largest asset accepted (S3's single PUT allows 5 GiB). */
  readonly maxBytes: number;
  /** PENDING assets older than this are swept (object and row). */
  readonly pendingMaxAgeMs: number;
  /** How often the sweep runs (and the asset gauges refresh); 0 turns it off. */
  readonly sweepIntervalMs: number;
  /** Where deletions are POSTed for a CDN purge; undefined: logged only. */
  readonly purgeUrl: string | undefined;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;
/** Public, so worthless: signs URLs only when nothing is configured outside production. */
const DEVELOPMENT_KEY: SecureLinkKey = { kid: 'dev', secret: 'campus-data-development-asset-url-key' };
const GiB = 1024 * 1024 * 1024;

export function assetSettings(read: EnvReader, production: boolean): AssetSettings {
  const storageKind = read.oneOf('ASSET_STORAGE', ['embedded', 's3'], 'embedded');
  return {
    storage: storageKind === 's3' ? s3Settings(read) : undefined,
    embeddedStoragePort: read.port('ASSET_EMBEDDED_STORAGE_PORT', 9470),
    cdnBaseUrl: read.url('ASSET_CDN_BASE_URL', ['http:', 'https:']),
    embeddedEdgePort: read.port('ASSET_EMBEDDED_EDGE_PORT', 9480),
    signer: signerSettings(read, production),
    uploadTtlS: read.int('ASSET_UPLOAD_TTL_S', 900, 60, 604_800),
    urlTtlS: read.int('ASSET_URL_TTL_S', 300, 10, 86_400),
    maxBytes: read.int('ASSET_MAX_BYTES', 5 * GiB, 1, 5 * GiB),
    pendingMaxAgeMs: read.int('ASSET_PENDING_MAX_AGE_MS', 24 * 3_600_000, 1_000, 30 * 24 * 3_600_000),
    sweepIntervalMs: read.int('ASSET_SWEEP_INTERVAL_MS', 600_000, 0, 86_400_000),
    purgeUrl: read.url('ASSET_PURGE_URL', ['http:', 'https:']),
  };
}

function s3Settings(read: EnvReader): S3Settings {
  const accessKeyId = read.optional('ASSET_STORAGE_ACCESS_KEY_ID');
  const secretAccessKey = read.optional('ASSET_STORAGE_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('ASSET_STORAGE_ACCESS_KEY_ID and ASSET_STORAGE_SECRET_ACCESS_KEY must be set together');
  }
  return {
    endpoint: read.url('ASSET_STORAGE_ENDPOINT', ['http:', 'https:']),
    region: read.string('ASSET_STORAGE_REGION', 'us-east-1'),
    bucket: read.string('ASSET_STORAGE_BUCKET', 'campus-assets'),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    forcePathStyle: read.bool('ASSET_STORAGE_PATH_STYLE', true),
  };
}

function signerSettings(read: EnvReader, production: boolean): SignerSettings {
  const kind = read.oneOf('ASSET_URL_SIGNER', ['secure_link', 'cloudfront'], 'secure_link');
  if (kind === 'cloudfront') {
    const keyPairId = read.optional('ASSET_CLOUDFRONT_KEY_PAIR_ID');
    const privateKeyFile = read.optional('ASSET_CLOUDFRONT_PRIVATE_KEY_FILE');
    if (!keyPairId || !privateKeyFile) {
      throw new ConfigError('ASSET_URL_SIGNER=cloudfront needs ASSET_CLOUDFRONT_KEY_PAIR_ID and ASSET_CLOUDFRONT_PRIVATE_KEY_FILE');
    }
    return { kind, keyPairId, privateKeyFile };
  }
  const raw = read.optional('ASSET_URL_KEYS');
  if (raw === undefined) {
    if (production) throw new ConfigError('ASSET_URL_KEYS is required when NODE_ENV=production and ASSET_URL_SIGNER=secure_link');
    return { kind, keys: [DEVELOPMENT_KEY] };
  }
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
  return { kind, keys };
}
