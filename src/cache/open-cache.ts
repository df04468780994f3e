import { spawn } from 'node:child_process';
import type { RedisClusterConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { freePort } from '../server/free-port.js';
import type { CacheStore } from './cache-store.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';

export interface CacheSettings {
  readonly redisUrl: string | undefined;
  /** A Redis Cluster; takes the place of `redisUrl`. */
  readonly redisCluster?: RedisClusterConfig | undefined;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/**
 * The Redis Cluster when one is configured, else REDIS_URL when set. Otherwise the local redis-server if one answers, else one
 * started from the PATH, else an in-process store with the same TTL semantics.
 */
export async function openCache(settings: CacheSettings, log: Logger): Promise<CacheStore> {
  const connect = async (url: string) => {
    const store = new RedisStore({ url, keyPrefix: settings.keyPrefix, commandTimeoutMs: settings.commandTimeoutMs });
    try {
      await store.connect();
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  };
  const configured =
    settings.redisCluster !== undefined
      ? { cluster: settings.redisCluster }
      : settings.redisUrl !== undefined
        ? { url: settings.redisUrl }
        : undefined;
  if (configured !== undefined) {
    const store = new RedisStore({ ...configured, keyPrefix: settings.keyPrefix, commandTimeoutMs: settings.commandTimeoutMs });
    // A configured Redis that is down now still serves once it is back.
    await store.connect().catch((err: unknown) => log.warn({ err }, 'redis not reachable at start; serving from the database'));
    return store;
  }
  const local = await connect(LOCAL_REDIS).catch(() => undefined);
  if (local) return local;
  const spawned = await spawnRedis(log).catch(() => undefined);
  if (spawned) {
    const store = await connect(spawned.url);
    return withStop(store, spawned.stop);
  }
  return new MemoryStore();
}

async function spawnRedis(log: Logger): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    setTimeout(resolve, 150);
  });
  log.debug({ port }, 'started redis-server');
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function withStop(store: RedisStore, stop: () => void): CacheStore {
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    stop();
  };
  return store;
}
