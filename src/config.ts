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
  /** MongoDB URL; undefined means "start an in-process MongoDB-wire server". */
  readonly mongoUrl: string | undefined;
  /** MongoDB database name (the URL's path wins when it has one). */
  readonly mongoDbName: string;
  /** Redis URL; undefined means "local redis-server if any, else in-process cache". */
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly logLevel: LogLevel;
  /** Where embedded stores keep their data. */
  readonly dataDir: string;
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
  /** How often table and collection sizes are read for the storage gauges. */
  readonly storageStatsIntervalMs: number;
  /** Raw analytics events expire this many days after they occurred; rollups are kept. */
  readonly analyticsEventTtlDays: number;
  /** How often the daily rollups are recomputed from new events; 0 turns the job off. */
  readonly analyticsRollupIntervalMs: number;
  /** Days back the first rollup run after start recomputes. */
  readonly analyticsRollupLookbackDays: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown for a setting that cannot be used; `message` is the whole story. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  return {
    grpcPort: read.port('GRPC_PORT', 50051),
    grpcHost: read.string('GRPC_HOST', '0.0.0.0'),
    metricsPort: read.port('METRICS_PORT', 9464),
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseReplicaUrls: read.urls('DATABASE_REPLICA_URLS', ['postgres:', 'postgresql:']),
    mongoUrl: read.url('MONGO_URL', ['mongodb:', 'mongodb+srv:']),
    mongoDbName: read.string('MONGO_DB', 'campus'),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'campus:'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir: read.string('DATA_DIR', '.data'),
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    statementTimeoutMs: read.int('STATEMENT_TIMEOUT_MS', 15_000, 1, 3_600_000),
    redisCommandTimeoutMs: read.int('REDIS_COMMAND_TIMEOUT_MS', 250, 1, 60_000),
    maxMessageBytes: read.int('GRPC_MAX_MESSAGE_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    pageTokenSecret: read.string('PAGE_TOKEN_SECRET', 'campus-data-development-page-tokens'),
    cacheTtlMs: read.int('CACHE_TTL_MS', 300_000, 1_000, 900_000),
    cacheNegativeTtlMs: read.int('CACHE_NEGATIVE_TTL_MS', 30_000, 100, 300_000),
    storageStatsIntervalMs: read.int('STORAGE_STATS_INTERVAL_MS', 60_000, 1_000, 86_400_000),
    analyticsEventTtlDays: read.int('ANALYTICS_EVENT_TTL_DAYS', 180, 1, 3650),
    analyticsRollupIntervalMs: read.int('ANALYTICS_ROLLUP_INTERVAL_MS', 60_000, 0, 86_400_000),
    analyticsRollupLookbackDays: read.int('ANALYTICS_ROLLUP_LOOKBACK_DAYS', 2, 1, 3650),
  };
}

class EnvReader {
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
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
