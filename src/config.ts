import { type AssetSettings, assetSettings } from './asset/asset-settings.js';

/**
 * The one schema of settings. Nothing else in the service reads `process.env`:
 * `loadConfig` validates everything at boot and fails with one line that names
 * the bad variable.
 */
export interface Config {
  readonly grpcPort: number;
  readonly grpcHost: string;
  readonly metricsPort: number;
  /** PostgreSQL URL; undefined means "start an embedded PostgreSQL". */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL read replicas (comma-separated URLs); empty for none. */
  readonly databaseReplicaUrls: readonly string[];
  /** A read replica further behind the primary than this serves no reads until it catches up. */
  readonly databaseReplicaMaxLagMs: number;
  /** How often each read replica (and the primary's WAL position) is probed; a probe may take twice this long. */
  readonly databaseReplicaProbeIntervalMs: number;
  /**
   * `transaction`: DATABASE_URL (and every replica URL) is a pooler in
   * transaction mode (PgBouncer): no startup parameters, the statement timeout
   * set per transaction and by the server's default (see docs/scaling.md).
   */
  readonly databasePooler: DatabasePooler;
  /** At most this many connections to the primary, per running instance of the service. */
  readonly databasePoolMax: number;
  /** How long a starting replica waits for the migrations it needs before it refuses to start. */
  readonly databaseSchemaWaitMs: number;
  /** MongoDB URL; undefined means "start an in-process MongoDB-wire server". */
  readonly mongoUrl: string | undefined;
  /** MongoDB database name (the URL's path wins when it has one). */
  readonly mongoDbName: string;
  /** Redis URL; undefined means "local redis-server if any, else in-process cache". */
  readonly redisUrl: string | undefined;
  /** Redis Cluster seed nodes (REDIS_CLUSTER_NODES); undefined when Redis is one server. */
  readonly redisCluster: RedisClusterConfig | undefined;
  readonly redisKeyPrefix: string;
  readonly logLevel: LogLevel;
  /** Where embedded stores keep their data. */
  readonly dataDir: string;
  /** How often the embedded MongoDB's snapshot in DATA_DIR is rewritten; 0: only at shutdown. */
  readonly embeddedMongoSnapshotIntervalMs: number;
  /** How long graceful shutdown may take before in-flight calls are cut. */
  readonly shutdownGraceMs: number;
  /** Upper bound on one SQL statement when the caller set no deadline. */
  readonly statementTimeoutMs: number;
  readonly redisCommandTimeoutMs: number;
  readonly maxMessageBytes: number;
  /** Signs page tokens; set the same value on every replica. */
  readonly pageTokenSecret: string;
  /**
   * TTL of a cached value (±10% jitter). Also the longest a value can stay
   * stale when an invalidation was lost (Redis down and this process gone
   * before it could replay it).
   */
  readonly cacheTtlMs: number;
  /** TTL of a cached NOT_FOUND. */
  readonly cacheNegativeTtlMs: number;
  /**
   * False: hot reads go to the databases every time (invalidations are still
   * sent). Sessions and login limits keep using Redis either way.
   */
  readonly cacheEnabled: boolean;
  /** How long a replica keeps a cached value in process: the bound on how late another replica's write shows. */
  readonly cacheNearTtlMs: number;
  /** How long a near-cache entry may live while pushed invalidations vouch for it; see CacheOptions.nearPushedTtlMs. */
  readonly cacheNearPushedTtlMs: number;
  /** How often table and collection sizes are read for the storage gauges. */
  readonly storageStatsIntervalMs: number;
  /** Raw analytics events expire this many days after they occurred; rollups are kept. */
  readonly analyticsEventTtlDays: number;
  /** How often the daily rollups are recomputed from new events; 0 turns the job off. */
  readonly analyticsRollupIntervalMs: number;
  /** Days back the first rollup run after start recomputes. */
  readonly analyticsRollupLookbackDays: number;

  /** A session unused this long expires (sliding expiry). */
  readonly sessionIdleTtlMs: number;
  /** No session lives longer than this, however active. */
  readonly sessionMaxTtlMs: number;
  /** Tokens of internal services (only their SHA-256 is configured). */
  readonly serviceTokens: readonly ServiceToken[];
  /** Created at start when no user has this email; undefined when unset. */
  readonly bootstrapAdmin: { readonly email: string; readonly password: string } | undefined;
  /** Whether anonymous callers may create student accounts. */
  readonly allowSignup: boolean;
  /** Failed logins per email, and per peer address, before RESOURCE_EXHAUSTED. */
  readonly loginMaxFailuresPerEmail: number;
  readonly loginMaxFailuresPerPeer: number;
  /** The window those failures are counted in. */
  readonly loginFailureWindowMs: number;
  /** In-flight calls one caller (principal, or peer address when anonymous) may have. */
  readonly maxConcurrentCallsPerCaller: number;
  /** TLS for the gRPC port; undefined means plaintext. */
  readonly tls: TlsFiles | undefined;
  /**
   * Keys of personal data at rest (ENCRYPTION_KEYS, BLIND_INDEX_KEY); undefined
   * when unset, which only a non-production start accepts (development keys
   * are then kept in DATA_DIR, see src/crypto/field-keys-file.ts).
   */
  readonly fieldKeys: FieldKeys | undefined;
  /** NODE_ENV=production: no development fallbacks for secrets. */
  readonly production: boolean;
  /** When a learner may give a paid enrollment back themselves (see src/billing/refund-policy.ts). */
  readonly refundWindowDays: number;
  readonly refundMaxCompletionPercent: number;
  /** How often open payment attempts are settled; 0 turns the job off. */
  readonly paymentReconcileIntervalMs: number;
  /** An open attempt is settled by the job only once this old (longer than an Enroll may take). */
  readonly paymentReconcileAfterMs: number;
  /** How often the outbox is relayed to analytics; 0 turns the relay off. */
  readonly outboxRelayIntervalMs: number;
  /** Course assets: storage, CDN base, URL signing (ASSET_*). */
  readonly assets: AssetSettings;
}

/** A Redis Cluster: where to find it, and how its announced addresses are reached. */
export interface RedisClusterConfig {
  /** Any few nodes of the cluster; the rest is discovered from them. */
  readonly nodes: readonly HostPort[];
  /** Address a node announces (`host:port`) -> address this service reaches it at. */
  readonly natMap: Readonly<Record<string, HostPort>>;
  /** How long a login waits for the shared failure counters while a master fails over. */
  readonly failoverWaitMs: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One data-encryption key and the id stored beside every value it sealed. */
export interface EncryptionKey {
  readonly kid: string;
  /** 32 bytes (AES-256). */
  readonly key: Buffer;
}

/** The keys of personal data at rest. */
export interface FieldKeys {
  /** The first seals new values; every one opens values sealed under its kid. */
  readonly encryption: readonly EncryptionKey[];
  /** The HMAC-SHA256 key of the email blind index; never one of the encryption keys. */
  readonly blindIndex: Buffer;
}

/** An internal service's credentials as configured in SERVICE_TOKENS. */
export interface ServiceToken {
  readonly name: string;
  /** Lower-case hex SHA-256 of the token. */
  readonly sha256: string;
  /** Method patterns it may call (see methodAllowed). */
  readonly methods: readonly string[];
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  readonly clientCaFile: string | undefined;
}

export const DATABASE_POOLERS = ['none', 'transaction'] as const;
export type DatabasePooler = (typeof DATABASE_POOLERS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown for a setting that cannot be used; `message` is the whole story. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const keys = fieldKeys(read);
  return {
    grpcPort: read.port('GRPC_PORT', 50051),
    grpcHost: read.string('GRPC_HOST', '0.0.0.0'),
    metricsPort: read.port('METRICS_PORT', 9464),
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseReplicaUrls: read.urls('DATABASE_REPLICA_URLS', ['postgres:', 'postgresql:']),
    databaseReplicaMaxLagMs: read.int('DATABASE_REPLICA_MAX_LAG_MS', 1_000, 0, 3_600_000),
    databaseReplicaProbeIntervalMs: read.int('DATABASE_REPLICA_PROBE_INTERVAL_MS', 250, 10, 60_000),
    databasePooler: read.oneOf('DATABASE_POOLER', DATABASE_POOLERS, 'none'),
    databasePoolMax: read.int('DATABASE_POOL_MAX', 10, 1, 1_000),
    databaseSchemaWaitMs: read.int('DATABASE_SCHEMA_WAIT_MS', 60_000, 0, 3_600_000),
    mongoUrl: read.url('MONGO_URL', ['mongodb:', 'mongodb+srv:']),
    mongoDbName: read.string('MONGO_DB', 'campus'),
    ...redis(read),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'campus:'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir: read.string('DATA_DIR', '.data'),
    embeddedMongoSnapshotIntervalMs: read.int('EMBEDDED_MONGO_SNAPSHOT_INTERVAL_MS', 60_000, 0, 86_400_000),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    statementTimeoutMs: read.int('STATEMENT_TIMEOUT_MS', 15_000, 1, 3_600_000),
    redisCommandTimeoutMs: read.int('REDIS_COMMAND_TIMEOUT_MS', 250, 1, 60_000),
    maxMessageBytes: read.int('GRPC_MAX_MESSAGE_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    pageTokenSecret: pageTokenSecret(read, keys.production),
    cacheTtlMs: read.int('CACHE_TTL_MS', 300_000, 1_000, 900_000),
    cacheNegativeTtlMs: read.int('CACHE_NEGATIVE_TTL_MS', 30_000, 100, 300_000),
    cacheEnabled: read.bool('CACHE_ENABLED', true),
    cacheNearTtlMs: read.int('CACHE_NEAR_TTL_MS', 1_000, 0, 60_000),
    cacheNearPushedTtlMs: read.int('CACHE_NEAR_PUSHED_TTL_MS', 60_000, 0, 900_000),
    storageStatsIntervalMs: read.int('STORAGE_STATS_INTERVAL_MS', 60_000, 1_000, 86_400_000),
    analyticsEventTtlDays: read.int('ANALYTICS_EVENT_TTL_DAYS', 180, 1, 3650),
    analyticsRollupIntervalMs: read.int('ANALYTICS_ROLLUP_INTERVAL_MS', 60_000, 0, 86_400_000),
    analyticsRollupLookbackDays: read.int('ANALYTICS_ROLLUP_LOOKBACK_DAYS', 2, 1, 3650),

    ...sessionTtls(read),
    serviceTokens: read.serviceTokens('SERVICE_TOKENS'),
    bootstrapAdmin: bootstrapAdmin(read),
    allowSignup: read.bool('ALLOW_SIGNUP', true),
    loginMaxFailuresPerEmail: read.int('LOGIN_MAX_FAILURES_PER_EMAIL', 5, 1, 1_000_000),
    loginMaxFailuresPerPeer: read.int('LOGIN_MAX_FAILURES_PER_PEER', 20, 1, 1_000_000),
    loginFailureWindowMs: read.int('LOGIN_FAILURE_WINDOW_MS', 15 * 60_000, 1_000, 24 * HOUR),
    maxConcurrentCallsPerCaller: read.int('MAX_CONCURRENT_CALLS_PER_CALLER', 64, 1, 1_000_000),
    tls: tlsFiles(read),
    ...keys,
    assets: assetSettings(read, keys.production),
    ...moneyAndEvents(read),
  };
}

function moneyAndEvents(
  read: EnvReader,
): Pick<
  Config,
  'refundWindowDays' | 'refundMaxCompletionPercent' | 'paymentReconcileIntervalMs' | 'paymentReconcileAfterMs' | 'outboxRelayIntervalMs'
> {
  return {
    refundWindowDays: read.int('REFUND_WINDOW_DAYS', 14, 0, 3650),
    refundMaxCompletionPercent: read.int('REFUND_MAX_COMPLETION_PERCENT', 30, 0, 100),
    paymentReconcileIntervalMs: read.int('PAYMENT_RECONCILE_INTERVAL_MS', 60_000, 0, 86_400_000),
    paymentReconcileAfterMs: read.int('PAYMENT_RECONCILE_AFTER_MS', 120_000, 1_000, 86_400_000),
    outboxRelayIntervalMs: read.int('OUTBOX_RELAY_INTERVAL_MS', 1_000, 0, 3_600_000),
  };
}

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

function sessionTtls(read: EnvReader): Pick<Config, 'sessionIdleTtlMs' | 'sessionMaxTtlMs'> {
  const sessionIdleTtlMs = read.int('SESSION_IDLE_TTL_MS', DAY, 1_000, 365 * DAY);
  const sessionMaxTtlMs = read.int('SESSION_MAX_TTL_MS', 30 * DAY, 1_000, 365 * DAY);
  if (sessionMaxTtlMs < sessionIdleTtlMs) throw new ConfigError('SESSION_MAX_TTL_MS must not be less than SESSION_IDLE_TTL_MS');
  return { sessionIdleTtlMs, sessionMaxTtlMs };
}

function redis(read: EnvReader): Pick<Config, 'redisUrl' | 'redisCluster'> {
  const redisUrl = read.url('REDIS_URL', ['redis:', 'rediss:']);
  const nodes = read.optional('REDIS_CLUSTER_NODES');
  const natMap = read.optional('REDIS_CLUSTER_NAT_MAP');
  if (nodes === undefined) {
    if (natMap !== undefined) throw new ConfigError('REDIS_CLUSTER_NAT_MAP needs REDIS_CLUSTER_NODES');
    return { redisUrl, redisCluster: undefined };
  }
  if (redisUrl !== undefined) throw new ConfigError('set REDIS_URL (one server) or REDIS_CLUSTER_NODES (a cluster), not both');
  // A brace in the prefix would be every key's hash tag: the whole cache in one slot.
  if (/[{}]/.test(read.optional('REDIS_KEY_PREFIX') ?? ''))
    throw new ConfigError('REDIS_KEY_PREFIX must not contain { or } on a Redis Cluster');
  const map: Record<string, HostPort> = {};
  for (const [i, entry] of (natMap?.split(',') ?? []).entries()) {
    const [from, to, ...rest] = entry.split('=');
    const at = `REDIS_CLUSTER_NAT_MAP[${i}]`;
    if (from === undefined || to === undefined || rest.length > 0)
      throw new ConfigError(`${at} must be "<announced host:port>=<host:port>"`);
    const announced = hostPort(from, at);
    map[`${announced.host}:${announced.port}`] = hostPort(to, at);
  }
  return {
    redisUrl: undefined,
    redisCluster: {
      nodes: nodes.split(',').map((entry, i) => hostPort(entry, `REDIS_CLUSTER_NODES[${i}]`)),
      natMap: map,
      failoverWaitMs: read.int('REDIS_CLUSTER_FAILOVER_WAIT_MS', 5_000, 0, 60_000),
    },
  };
}

function hostPort(entry: string, at: string): HostPort {
  const match = /^\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\s*$/.exec(entry);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65535)) throw new ConfigError(`${at} must be host:port`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

const DEVELOPMENT_PAGE_TOKEN_SECRET = 'campus-data-development-page-tokens';

/**
 * PAGE_TOKEN_SECRET signs page tokens: with a known value anyone could forge
 * a cursor, so under NODE_ENV=production it must be set and not be the
 * development default.
 */
function pageTokenSecret(read: EnvReader, production: boolean): string {
  const secret = read.string('PAGE_TOKEN_SECRET', DEVELOPMENT_PAGE_TOKEN_SECRET);
  if (production && secret === DEVELOPMENT_PAGE_TOKEN_SECRET) {
    throw new ConfigError('PAGE_TOKEN_SECRET is required when NODE_ENV=production (the development value is public)');
  }
  return secret;
}

function bootstrapAdmin(read: EnvReader): Config['bootstrapAdmin'] {
  const email = read.optional('BOOTSTRAP_ADMIN_EMAIL');
  const password = read.optional('BOOTSTRAP_ADMIN_PASSWORD');
  if (email === undefined && password === undefined) return undefined;
  if (email === undefined || password === undefined) {
    throw new ConfigError('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together');
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(email)) throw new ConfigError('BOOTSTRAP_ADMIN_EMAIL is not an email address');
  // The value itself is never repeated: it is a password.
  const length = [...password].length;
  if (length < 12 || length > 1024) throw new ConfigError('BOOTSTRAP_ADMIN_PASSWORD must have 12 to 1024 characters');
  return { email, password };
}

function tlsFiles(read: EnvReader): TlsFiles | undefined {
  const certFile = read.optional('TLS_CERT_FILE');
  const keyFile = read.optional('TLS_KEY_FILE');
  const clientCaFile = read.optional('TLS_CLIENT_CA_FILE');
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) throw new ConfigError('TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  return { certFile, keyFile, clientCaFile };
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9_-])+={0,2}$/;

/**
 * ENCRYPTION_KEYS (`kid:base64key,...`, 32-byte keys, first one encrypts) and
 * BLIND_INDEX_KEY (base64, 32 bytes): both or neither; both required under
 * NODE_ENV=production. Errors name the entry, never a key.
 */
function fieldKeys(read: EnvReader): Pick<Config, 'fieldKeys' | 'production'> {
  const production = read.optional('NODE_ENV') === 'production';
  const keys = read.optional('ENCRYPTION_KEYS');
  const blind = read.optional('BLIND_INDEX_KEY');
  if (keys === undefined && blind === undefined) {
    if (production) throw new ConfigError('ENCRYPTION_KEYS and BLIND_INDEX_KEY are required when NODE_ENV=production');
    return { fieldKeys: undefined, production };
  }
  if (keys === undefined || blind === undefined) throw new ConfigError('ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set together');
  const encryption = keys.split(',').map((entry, i): EncryptionKey => {
    const at = `ENCRYPTION_KEYS[${i}]`;
    const colon = entry.indexOf(':');
    const kid = entry.slice(0, colon).trim();
    if (colon < 0 || !KEY_ID.test(kid))
      throw new ConfigError(`${at} must be "<key id>:<base64 key>" with a key id of 1-32 letters, digits, - or _`);
    return { kid, key: key32(entry.slice(colon + 1).trim(), `${at} (${kid})`) };
  });
  if (new Set(encryption.map((k) => k.kid)).size !== encryption.length) throw new ConfigError('ENCRYPTION_KEYS names a key id twice');
  const blindIndex = key32(blind, 'BLIND_INDEX_KEY');
  if (encryption.some((k) => k.key.equals(blindIndex))) throw new ConfigError('BLIND_INDEX_KEY must not be one of the ENCRYPTION_KEYS');
  return { fieldKeys: { encryption, blindIndex }, production };
}

function key32(value: string, name: string): Buffer {
  const key = BASE64.test(value) ? Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64') : undefined;
  if (key?.length !== 32) throw new ConfigError(`${name} must be 32 random bytes in base64 (openssl rand -base64 32)`);
  return key;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const METHOD_PATTERN = /^(\*|[A-Za-z_][\w.]*\.[A-Za-z_]\w*\/(\*|[A-Za-z_]\w*))$/;

/** Reads and validates single variables; each error names the variable. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be true or false`);
  }

  /**
   * SERVICE_TOKENS: a JSON array of {name, sha256, methods}. Errors name the
   * entry and field; nothing of the value is echoed.
   */
  serviceTokens(name: string): ServiceToken[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigError(`${name} is not valid JSON`);
    }
    if (!Array.isArray(parsed)) throw new ConfigError(`${name} must be a JSON array of {name, sha256, methods}`);
    const tokens = parsed.map((entry: unknown, i): ServiceToken => {
      const at = `${name}[${i}]`;
      if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${at} must be an object {name, sha256, methods}`);
      const { name: service, sha256, methods } = entry as Record<string, unknown>;
      if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
        throw new ConfigError(`${at}.name must be lower-case letters, digits and dashes, starting with a letter`);
      }
      if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256.toLowerCase())) {
        throw new ConfigError(`${at}.sha256 must be the token's SHA-256 as 64 hex digits`);
      }
      if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string' && METHOD_PATTERN.test(m))) {
        throw new ConfigError(`${at}.methods must be a non-empty array of "package.Service/Method", "package.Service/*" or "*"`);
      }
      return { name: service, sha256: sha256.toLowerCase(), methods: methods as string[] };
    });
    const names = new Set(tokens.map((t) => t.name));
    const hashes = new Set(tokens.map((t) => t.sha256));
    if (names.size !== tokens.length) throw new ConfigError(`${name} names a service twice`);
    if (hashes.size !== tokens.length) throw new ConfigError(`${name} gives two services the same token`);
    return tokens;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      throw new ConfigError(`${name} is not a valid URL`);
    }
    if (!protocols.includes(protocol)) {
      throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return value;
  }

  urls(name: string, protocols: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    return value.split(',').map((part, i) => {
      const url = new EnvReader({ [`${name}[${i}]`]: part }).url(`${name}[${i}]`, protocols);
      if (url === undefined) throw new ConfigError(`${name} has an empty entry at position ${i}`);
      return url;
    });
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(`${name}=${JSON.stringify(value)} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}
