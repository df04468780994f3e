import { assetSchema } from './asset/asset-settings.js';
import {
  bool,
  ConfigError,
  type ConfigOf,
  derived,
  type Env,
  EnvReader,
  int,
  oneOf,
  optional,
  port,
  readSchema,
  SAME_ROW,
  section,
  string,
  url,
  urls,
  variable,
} from './config-schema.js';

export { ConfigError } from './config-schema.js';

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

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const POSTGRES = ['postgres:', 'postgresql:'];
const DEVELOPMENT_PAGE_TOKEN_SECRET = 'campus-data-development-page-tokens';

const nodeEnv = variable('NODE_ENV', (read, env) => read.optional(env) === 'production').doc(
  '`production`: refuse to start without `ENCRYPTION_KEYS`, `BLIND_INDEX_KEY` and `PAGE_TOKEN_SECRET` instead of using development values',
);

/**
 * The one schema of settings, in the README's order (`npm run docs:config`
 * writes the table from it). Each variable is declared here or in its
 * module's section, once: name, default, meaning, parser and bounds. Nothing
 * else in the service reads `process.env`. A comment on a property says what
 * the code sees where the README's wording does not (what undefined means).
 */
export const configSchema = {
  grpcPort: port('GRPC_PORT', 50051).doc('gRPC port'),
  grpcHost: string('GRPC_HOST', '0.0.0.0').doc('address gRPC and metrics listen on'),
  metricsPort: port('METRICS_PORT', 9464).doc('Prometheus `/metrics` port'),
  /** Undefined: start an embedded PostgreSQL. */
  databaseUrl: url('DATABASE_URL', POSTGRES).doc('`postgres://user:pass@host:5432/db`', 'embedded'),
  databaseReplicaUrls: urls('DATABASE_REPLICA_URLS', POSTGRES).doc(
    'comma-separated read replicas (streaming standbys); only listings that may lag read them (see docs/scaling.md)',
  ),
  databaseReplicaMaxLagMs: int('DATABASE_REPLICA_MAX_LAG_MS', 1_000, 0, 3_600_000).doc(
    'a replica further behind the primary than this serves no reads until it catches up',
  ),
  databaseReplicaProbeIntervalMs: int('DATABASE_REPLICA_PROBE_INTERVAL_MS', 250, 10, 60_000).doc(
    "how often each replica and the primary's WAL position are probed; a probe that takes twice this long takes the replica out of rotation",
  ),
  databasePooler: oneOf('DATABASE_POOLER', DATABASE_POOLERS, 'none').doc(
    "`transaction`: `DATABASE_URL` (and each replica URL) is PgBouncer in transaction mode: no startup parameters; every transaction sets `SET LOCAL statement_timeout`; statements outside one run under the server's default, which must be on and at most `STATEMENT_TIMEOUT_MS` (set on the role: `ALTER ROLE campus SET statement_timeout = '15s'`), else the start is refused (see docs/scaling.md)",
  ),
  databasePoolMax: int('DATABASE_POOL_MAX', 10, 1, 1_000).doc(
    'connections each PostgreSQL pool (the primary\'s, each replica\'s) may open; `db_client_connections{state="pending"}` above zero for long says it is too small or connections are not coming back',
  ),
  databaseSchemaWaitMs: int('DATABASE_SCHEMA_WAIT_MS', 60_000, 0, 3_600_000).doc(
    "at start, how long the service waits for migrations it needs that the database lacks (another replica's `npm run migrate` still running); past it the start is refused",
  ),
  /** Undefined: start an in-process MongoDB-wire server. */
  mongoUrl: url('MONGO_URL', ['mongodb:', 'mongodb+srv:']).doc(
    '`mongodb://host:27017/?replicaSet=rs0` (multi-document transactions need a replica set)',
    'embedded',
  ),
  /** The URL's path wins when it has one. */
  mongoDbName: string('MONGO_DB', 'campus').doc('MongoDB database name'),
  /** Undefined: a local redis-server if any, else an in-process cache. */
  redisUrl: url('REDIS_URL', ['redis:', 'rediss:']).doc('`redis://host:6379`', 'local or in-process'),
  redisKeyPrefix: string('REDIS_KEY_PREFIX', 'campus:').doc('prefix of every key this service writes'),
  /** Undefined when Redis is one server. */
  redisCluster: derived(
    {
      nodes: optional('REDIS_CLUSTER_NODES').doc(
        'a Redis Cluster instead of `REDIS_URL` (set one or the other): comma-separated `host:port` of a few of its nodes, the rest is discovered (see docs/scaling.md)',
      ),
      natMap: optional('REDIS_CLUSTER_NAT_MAP').doc(
        'with a cluster whose nodes announce addresses this service cannot reach (NAT, containers): `announced host:port=reachable host:port,...`',
      ),
      failoverWaitMs: int('REDIS_CLUSTER_FAILOVER_WAIT_MS', 5_000, 0, 60_000).doc(
        "with a cluster: how long a login waits for its failure counters while their master fails over before counting in process; keep it above the cluster's `cluster-node-timeout` plus a second or two",
      ),
    },
    (get) => redisCluster(get.nodes(), get.natMap(), get.failoverWaitMs),
  ),
  logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info').doc(LOG_LEVELS.map((level) => `\`${level}\``).join(', ')),
  dataDir: string('DATA_DIR', '.data').doc(
    'where embedded stores keep their data (one running instance per directory, see [Set up](#set-up))',
  ),
  /** 0: only at shutdown. */
  embeddedMongoSnapshotIntervalMs: int('EMBEDDED_MONGO_SNAPSHOT_INTERVAL_MS', 60_000, 0, 86_400_000).doc(
    "with no `MONGO_URL`: how often the embedded MongoDB's snapshot (`DATA_DIR/mongodb/snapshot.json`) is rewritten; it is also written at shutdown, and `0` writes it only then. A crash loses the forum and analytics writes since the last snapshot",
  ),
  shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000).doc(
    'how long in-flight calls may finish on SIGTERM (health answers `NOT_SERVING` meanwhile); the process exits at most 3 s later',
  ),
  /** Applies when the caller set no deadline. */
  statementTimeoutMs: int('STATEMENT_TIMEOUT_MS', 15_000, 1, 3_600_000).doc('upper bound on any SQL statement'),
  redisCommandTimeoutMs: int('REDIS_COMMAND_TIMEOUT_MS', 250, 1, 60_000).doc('a slower Redis answer counts as a miss'),
  maxMessageBytes: int('GRPC_MAX_MESSAGE_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024).doc('largest request or response'),
  pageTokenSecret: derived(
    {
      secret: string('PAGE_TOKEN_SECRET', DEVELOPMENT_PAGE_TOKEN_SECRET).doc(
        'signs list page tokens; set one value on every replica (required under `NODE_ENV=production`)',
        'a development value',
      ),
    },
    // With a known value anyone could forge a cursor.
    (get, { production }) => {
      const secret = get.secret();
      if (production && secret === DEVELOPMENT_PAGE_TOKEN_SECRET) {
        throw new ConfigError('PAGE_TOKEN_SECRET is required when NODE_ENV=production (the development value is public)');
      }
      return secret;
    },
  ),
  cacheTtlMs: int('CACHE_TTL_MS', 300_000, 1_000, 900_000).doc(
    'life of a cached value (±10% jitter), at most 15 minutes; also the longest a value can stay stale after a lost invalidation',
  ),
  cacheNegativeTtlMs: int('CACHE_NEGATIVE_TTL_MS', 30_000, 100, 300_000).doc('life of a cached NOT_FOUND'),
  cacheEnabled: bool('CACHE_ENABLED', true).doc(
    '`false`: catalog items, lessons, users and progress are read from PostgreSQL every time (invalidations are still sent; sessions and login limits keep using Redis)',
  ),
  cacheNearTtlMs: int('CACHE_NEAR_TTL_MS', 1_000, 0, 60_000).doc(
    "how long a replica keeps a cached value in process in front of Redis (0: never); the most another replica's write can take to show here",
  ),
  /** See CacheOptions.nearPushedTtlMs. */
  cacheNearPushedTtlMs: int('CACHE_NEAR_PUSHED_TTL_MS', 60_000, 0, 900_000).doc(
    'how long a replica may keep a value in process while the invalidations every replica publishes on Redis reach it (checked every `CACHE_NEAR_TTL_MS / 4`); back to `CACHE_NEAR_TTL_MS` as soon as they may not; 0 or at most `CACHE_NEAR_TTL_MS`: no pushed invalidations, at most 15 minutes',
  ),
  storageStatsIntervalMs: int('STORAGE_STATS_INTERVAL_MS', 60_000, 1_000, 86_400_000).doc(
    'how often table and collection sizes are read for the storage gauges',
  ),
  analyticsEventTtlDays: int('ANALYTICS_EVENT_TTL_DAYS', 180, 1, 3650).doc(
    'raw analytics events expire this many days after they occurred (TTL index); daily rollups are kept',
  ),
  analyticsRollupIntervalMs: int('ANALYTICS_ROLLUP_INTERVAL_MS', 60_000, 0, 86_400_000).doc(
    'how often the daily rollups are recomputed from new events; `0` turns the periodic job off',
  ),
  analyticsRollupLookbackDays: int('ANALYTICS_ROLLUP_LOOKBACK_DAYS', 2, 1, 3650).doc('days the first rollup run after start recomputes'),
  sessionIdleTtlMs: int('SESSION_IDLE_TTL_MS', DAY, 1_000, 365 * DAY).doc(
    'a session unused this long expires; each use moves it forward (written at most once a minute)',
    '`86400000` (24 h)',
  ),
  sessionMaxTtlMs: int('SESSION_MAX_TTL_MS', 30 * DAY, 1_000, 365 * DAY).doc(
    'no session lives longer, however active',
    '`2592000000` (30 days)',
  ),
  serviceTokens: variable('SERVICE_TOKENS', (read, env) => serviceTokens(env, read.optional(env))).doc(
    'internal services\' tokens: JSON `[{"name":"billing-worker","sha256":"<hex SHA-256 of the token>","methods":["campus.billing.v1.PaymentService/*"]}]`; `methods` entries are `pkg.Service/Method`, `pkg.Service/*` or `*`',
  ),
  /** Created at start when no user has this email; undefined when unset. */
  bootstrapAdmin: derived(
    {
      email: optional('BOOTSTRAP_ADMIN_EMAIL').doc(
        'set both to create this admin at start when no user has the email (idempotent; neither is logged)',
      ),
      password: optional('BOOTSTRAP_ADMIN_PASSWORD').doc(SAME_ROW),
    },
    (get) => bootstrapAdmin(get.email(), get.password()),
  ),
  allowSignup: bool('ALLOW_SIGNUP', true).doc(
    'anonymous callers may create student accounts; `false` leaves user creation to admins (and to services allowed to call CreateUser, for students)',
  ),
  loginMaxFailuresPerEmail: int('LOGIN_MAX_FAILURES_PER_EMAIL', 5, 1, 1_000_000).doc(
    'failed logins per email in the window before RESOURCE_EXHAUSTED',
  ),
  loginMaxFailuresPerPeer: int('LOGIN_MAX_FAILURES_PER_PEER', 20, 1, 1_000_000).doc('failed logins per client address in the window'),
  loginFailureWindowMs: int('LOGIN_FAILURE_WINDOW_MS', 15 * 60_000, 1_000, 24 * HOUR).doc(
    'the window failed logins are counted in',
    '`900000` (15 min)',
  ),
  maxConcurrentCallsPerCaller: int('MAX_CONCURRENT_CALLS_PER_CALLER', 64, 1, 1_000_000).doc(
    'calls one caller (user, service, or address when anonymous) may have in flight; more get RESOURCE_EXHAUSTED',
  ),
  /** Undefined: plaintext. */
  tls: derived(
    {
      certFile: optional('TLS_CERT_FILE').doc(
        'PEM certificate chain and key: gRPC over TLS (plaintext, with a warning in the log, when unset)',
      ),
      keyFile: optional('TLS_KEY_FILE').doc(SAME_ROW),
      clientCaFile: optional('TLS_CLIENT_CA_FILE').doc('PEM CA: clients must present a certificate it signed (mutual TLS)'),
    },
    (get) => tlsFiles(get.certFile(), get.keyFile(), get.clientCaFile()),
  ),
  /**
   * Undefined when unset, which only a non-production start accepts
   * (development keys are then kept in DATA_DIR, see src/crypto/field-keys-file.ts).
   */
  fieldKeys: derived(
    {
      encryption: optional('ENCRYPTION_KEYS').doc(
        "`kid:base64key,...` (32-byte keys, `openssl rand -base64 32`): users' names and emails and payment references are sealed with AES-256-GCM; the first key seals, all open (rotation: docs/security.md)",
        'development keys in `DATA_DIR/keys.json`',
      ),
      blindIndex: optional('BLIND_INDEX_KEY').doc(
        'base64, 32 bytes: HMAC key of the email blind index (lookups and uniqueness); set with `ENCRYPTION_KEYS`',
        'development key in `DATA_DIR/keys.json`',
      ),
    },
    (get, { production }) => fieldKeys(get.encryption(), get.blindIndex(), production),
  ),
  refundWindowDays: int('REFUND_WINDOW_DAYS', 14, 0, 3650).doc(
    'days after enrolling in which a learner may cancel or refund a paid enrollment themselves (admins and services always may)',
  ),
  refundMaxCompletionPercent: int('REFUND_MAX_COMPLETION_PERCENT', 30, 0, 100).doc(
    "a learner may cancel or refund only while below this share (0..100) of the item's lessons is completed",
  ),
  paymentReconcileIntervalMs: int('PAYMENT_RECONCILE_INTERVAL_MS', 60_000, 0, 86_400_000).doc(
    'how often payment attempts left open are settled (completed or refunded); `0` turns the job off',
  ),
  paymentReconcileAfterMs: int('PAYMENT_RECONCILE_AFTER_MS', 120_000, 1_000, 86_400_000).doc(
    'an open attempt is settled by the job only once this old; keep it above the longest an Enroll may take',
  ),
  outboxRelayIntervalMs: int('OUTBOX_RELAY_INTERVAL_MS', 1_000, 0, 3_600_000).doc(
    'how often outbox events (enrollments, completions) are relayed to analytics; `0` turns the relay off',
  ),
  assets: section(assetSchema),
  production: nodeEnv,
};

export type Config = ConfigOf<typeof configSchema>;

/** Validates everything at boot and fails with one line that names the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const reader = new EnvReader(env);
  // Under NODE_ENV=production, missing keys of personal data is the error to report before any other.
  const config = readSchema(configSchema, reader, { production: nodeEnv.read(reader) }, ['fieldKeys']);
  crossChecks(config);
  return config;
}

/** The rules between properties that different entries read. */
function crossChecks(config: Config): void {
  if (config.sessionMaxTtlMs < config.sessionIdleTtlMs)
    throw new ConfigError('SESSION_MAX_TTL_MS must not be less than SESSION_IDLE_TTL_MS');
  if (config.redisCluster === undefined) return;
  if (config.redisUrl !== undefined) throw new ConfigError('set REDIS_URL (one server) or REDIS_CLUSTER_NODES (a cluster), not both');
  // A brace in the prefix would be every key's hash tag: the whole cache in one slot.
  if (/[{}]/.test(config.redisKeyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX must not contain { or } on a Redis Cluster');
}

function redisCluster(nodes: string | undefined, natMap: string | undefined, failoverWaitMs: () => number): RedisClusterConfig | undefined {
  if (nodes === undefined) {
    if (natMap !== undefined) throw new ConfigError('REDIS_CLUSTER_NAT_MAP needs REDIS_CLUSTER_NODES');
    return undefined;
  }
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
    nodes: nodes.split(',').map((entry, i) => hostPort(entry, `REDIS_CLUSTER_NODES[${i}]`)),
    natMap: map,
    failoverWaitMs: failoverWaitMs(),
  };
}

function hostPort(entry: string, at: string): HostPort {
  const match = /^\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\s*$/.exec(entry);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65535)) throw new ConfigError(`${at} must be host:port`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

function bootstrapAdmin(
  email: string | undefined,
  password: string | undefined,
): { readonly email: string; readonly password: string } | undefined {
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

function tlsFiles(certFile: string | undefined, keyFile: string | undefined, clientCaFile: string | undefined): TlsFiles | undefined {
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
function fieldKeys(keys: string | undefined, blind: string | undefined, production: boolean): FieldKeys | undefined {
  if (keys === undefined && blind === undefined) {
    if (production) throw new ConfigError('ENCRYPTION_KEYS and BLIND_INDEX_KEY are required when NODE_ENV=production');
    return undefined;
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
  return { encryption, blindIndex };
}

function key32(value: string, name: string): Buffer {
  const key = BASE64.test(value) ? Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64') : undefined;
  if (key?.length !== 32) throw new ConfigError(`${name} must be 32 random bytes in base64 (openssl rand -base64 32)`);
  return key;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const METHOD_PATTERN = /^(\*|[A-Za-z_][\w.]*\.[A-Za-z_]\w*\/(\*|[A-Za-z_]\w*))$/;

/**
 * SERVICE_TOKENS: a JSON array of {name, sha256, methods}. Errors name the
 * entry and field; nothing of the value is echoed.
 */
function serviceTokens(name: string, value: string | undefined): readonly ServiceToken[] {
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
