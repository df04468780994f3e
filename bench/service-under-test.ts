import { randomBytes } from 'node:crypto';
import { type App, startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.js';
import { BENCH_FIELD_KEYS_ENV } from './bench-keys.js';
import type { BenchOptions } from './bench-options.js';
import { processProbe, type ServerProbe } from './process-probe.js';

export interface ServiceUnderTest {
  readonly app: App;
  readonly port: number;
  /** The service runs in this process, so this probes this process. */
  readonly probe: ServerProbe;
  readonly redisKeyPrefix: string;
  stop(): Promise<void>;
}

/**
 * The real service, built by startApp in this process, over the bench
 * database, the local Redis (under a key prefix of this run) and the
 * in-process MongoDB-wire stand-in.
 */
export async function startServiceUnderTest(databaseUrl: string, options: BenchOptions): Promise<ServiceUnderTest> {
  const mongo = await startEmbeddedMongo();
  const redisKeyPrefix = `bench:${randomBytes(4).toString('hex')}:`;
  try {
    const app = await startApp(
      loadConfig({
        GRPC_PORT: '0',
        GRPC_HOST: '127.0.0.1',
        METRICS_PORT: '0',
        DATABASE_URL: databaseUrl,
        MONGO_URL: mongo.url,
        REDIS_URL: options.redisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: options.logLevel,
        SHUTDOWN_GRACE_MS: '2000',
        ...BENCH_FIELD_KEYS_ENV,
      }),
    );
    return {
      app,
      port: app.grpcPort,
      probe: processProbe(),
      redisKeyPrefix,
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
