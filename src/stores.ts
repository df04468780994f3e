import type { CacheStore } from './cache/cache-store.js';
import { openCache } from './cache/open-cache.js';
import type { Config } from './config.js';
import { createFieldCrypto } from './crypto/field-crypto.js';
import { loadFieldKeys } from './crypto/field-keys-file.js';
import { startEmbeddedMongo } from './db/embedded-mongo.js';
import { type EmbeddedStore, startEmbeddedPostgres } from './db/embedded-postgres.js';
import { type MongoOrm, openMongo } from './db/mongo.js';
import { openPostgres, type PostgresOrm } from './db/postgres.js';
import { awaitSchema } from './db/schema-ready.js';
import { checkServerStatementTimeout } from './db/statement-timeout.js';
import type { Logger } from './logger.js';
import { within } from './within.js';

/**
 * How long closing one store's connections may take at shutdown: a store
 * that does not answer (a silent network) must not hold the exit.
 */
export const STORE_CLOSE_MS = 1_000;

export interface Stores {
  readonly pg: PostgresOrm;
  readonly mongo: MongoOrm;
  readonly cache: CacheStore;
  /**
   * Closes connections (each within STORE_CLOSE_MS; what is still open then
   * is left to the process's exit), then stops any embedded servers.
   */
  close(): Promise<void>;
}

/**
 * The configured stores, or embedded ones where no URL is set, so that a fresh
 * machine serves every RPC with nothing installed.
 */
export async function openStores(config: Config, log: Logger): Promise<Stores> {
  const embedded: EmbeddedStore[] = [];
  const cleanup = async () => {
    for (const store of embedded.reverse()) await store.stop().catch(() => undefined);
  };
  try {
    // Before anything starts: missing keys in production stop the start here.
    const fieldCrypto = createFieldCrypto(await loadFieldKeys(config, log));
    const databaseUrl = config.databaseUrl ?? (await embed(startEmbeddedPostgres(config.dataDir, log), embedded)).url;
    const mongoUrl =
      config.mongoUrl ??
      (
        await embed(
          startEmbeddedMongo({ dataDir: config.dataDir, snapshotIntervalMs: config.embeddedMongoSnapshotIntervalMs, log }),
          embedded,
        )
      ).url;
    const opened = await Promise.allSettled([
      openPostgres({
        url: databaseUrl,
        replicaUrls: config.databaseReplicaUrls,
        statementTimeoutMs: config.statementTimeoutMs,
        transactionPooling: config.databasePooler === 'transaction',
        poolMax: config.databasePoolMax,
        fieldCrypto,
      }),
      openMongo({ url: mongoUrl, dbName: config.mongoDbName }),
      openCache(
        {
          redisUrl: config.redisUrl,
          redisCluster: config.redisCluster,
          keyPrefix: config.redisKeyPrefix,
          commandTimeoutMs: config.redisCommandTimeoutMs,
        },
        log,
      ),
    ]);
    const [pgResult, mongoResult, cacheResult] = opened;
    if (pgResult.status === 'rejected' || mongoResult.status === 'rejected' || cacheResult.status === 'rejected') {
      // Close whatever did open before giving up, so nothing keeps the process alive.
      await Promise.allSettled(opened.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
      throw (opened.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    }
    const [pg, mongo, cache] = [pgResult.value, mongoResult.value, cacheResult.value];
    try {
      await checkServerStatementTimeout(pg, {
        statementTimeoutMs: config.statementTimeoutMs,
        transactionPooling: config.databasePooler === 'transaction',
      });
      // A replica started with a rollout waits for the migrator, and never serves on an older schema.
      await awaitSchema(pg, config.databaseSchemaWaitMs, (missing) =>
        log.warn({ missing, waitMs: config.databaseSchemaWaitMs }, 'waiting for migrations this version needs'),
      );
    } catch (err) {
      await Promise.allSettled([pg.close(), mongo.close(), cache.close()]);
      throw err;
    }
    log.info(
      {
        postgres: config.databaseUrl ? 'external' : `embedded (${config.dataDir}/postgres)`,
        mongodb: config.mongoUrl ? 'external' : `embedded in-process (memory, snapshot in ${config.dataDir}/mongodb)`,
        cache:
          cache.backend === 'memory'
            ? 'in-process memory'
            : config.redisCluster
              ? 'redis cluster (external)'
              : config.redisUrl
                ? 'redis (external)'
                : 'redis (local)',
      },
      'stores ready',
    );
    return {
      pg,
      mongo,
      cache,
      close: async () => {
        // Forced: the calls are drained by now, and a query still waiting on a silent store is not worth waiting for.
        const closes = { postgres: pg.close(true), mongodb: mongo.close(true), cache: cache.close() };
        const closed = await Promise.all(Object.values(closes).map((close) => within(close, STORE_CLOSE_MS).catch(() => true)));
        const late = Object.keys(closes).filter((_, i) => !closed[i]);
        if (late.length > 0) log.warn({ stores: late, waitedMs: STORE_CLOSE_MS }, 'stores not closed in time: left to the exit');
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function embed(start: Promise<EmbeddedStore>, started: EmbeddedStore[]): Promise<EmbeddedStore> {
  const store = await start;
  started.push(store);
  return store;
}
