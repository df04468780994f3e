import { createHash, randomBytes } from 'node:crypto';
import { type App, startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { BENCH_FIELD_KEYS_ENV } from './bench-keys.js';
import type { BenchOptions } from './bench-options.js';
import { type MongoStandIn, startMongoStandIn } from './mongo-stand-in-host.js';
import { processProbe, type ServerProbe } from './process-probe.js';

export interface ServiceUnderTest {
  readonly app: App;
  readonly port: number;
  /** The service runs in this process, so this probes this process. */
  readonly probe: ServerProbe;
  /** The MongoDB-wire stand-in the service uses, in a process of its own: its CPU is reported apart. */
  readonly mongo: MongoStandIn;
  readonly redisKeyPrefix: string;
  /**
   * `authorization` metadata every bench call carries: a service token
   * (SERVICE_TOKENS, methods `*`), the cheapest way to authenticate: a hash
   * and a Map lookup, no store read.
   */
  readonly authorization: string;
  /** Name of that service token, as the service sees the caller. */
  readonly callerName: string;
  stop(): Promise<void>;
}

const CALLER_NAME = 'bench-load';

/**
 * The real service, built by startApp in this process, over the bench
 * database, the local Redis (under a key prefix of this run) and the
 * MongoDB-wire stand-in (in a child process), with one service token allowed every
 * method for the bench's calls.
 */
export async function startServiceUnderTest(
  databaseUrl: string,
  options: BenchOptions,
  env: Readonly<Record<string, string>> = {},
): Promise<ServiceUnderTest> {
  const mongo = await startMongoStandIn();
  const redisKeyPrefix = `bench:${randomBytes(4).toString('hex')}:`;
  const token = randomBytes(32).toString('base64url');
  const serviceTokens = [{ name: CALLER_NAME, sha256: createHash('sha256').update(token).digest('hex'), methods: ['*'] }];
  try {
    const app = await startApp(
      loadConfig({
        GRPC_PORT: '0',
        GRPC_HOST: '127.0.0.1',
        METRICS_PORT: '0',
        // Free ports: a second service (a scenario with settings of its own) or another run on the machine must not collide.
        ASSET_EMBEDDED_STORAGE_PORT: '0',
        ASSET_EMBEDDED_EDGE_PORT: '0',
        DATABASE_URL: databaseUrl,
        MONGO_URL: mongo.url,
        REDIS_URL: options.redisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: options.logLevel,
        SHUTDOWN_GRACE_MS: '2000',
        ...BENCH_FIELD_KEYS_ENV,

        SERVICE_TOKENS: JSON.stringify(serviceTokens),
        ...env,
      }),
    );
    return {
      app,
      port: app.grpcPort,
      probe: processProbe(),
      mongo,
      redisKeyPrefix,
      authorization: `Bearer ${token}`,
      callerName: CALLER_NAME,
      stop: async () => {
        await app.shutdown();
        await mongo.stop();
      },
    };
  } catch (err) {
    await mongo.stop();
    throw err;
  }
}
