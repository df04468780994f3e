import { Redis } from 'ioredis';
import type { CacheStore, Counter } from './cache-store.js';

export interface RedisSettings {
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

/**
 * Redis through ioredis, set to fail fast: no offline queue and a short
 * command timeout, so an outage costs a cache miss, never a stuck request.
 * It keeps reconnecting in the background and fills again when Redis is back.
 */
export class RedisStore implements CacheStore {
  readonly backend = 'redis';
  readonly client: Redis;

  constructor(settings: RedisSettings) {
    this.client = new Redis(settings.url, {
      keyPrefix: settings.keyPrefix,
      enableOfflineQueue: false,
      commandTimeout: settings.commandTimeoutMs,
      connectTimeout: Math.max(1_000, settings.commandTimeoutMs),
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      lazyConnect: true,
    });
    // Connection errors surface on commands; an unhandled 'error' event would crash.
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.length === 0 ? [] : this.client.mget(...keys);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', ttl(ttlMs));
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.client.del(...keys);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, 'PX', ttl(ttlMs), 'NX')) === 'OK';
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(COMPARE_AND_SET, 1, key, expected, value, ttl(ttlMs))) === 1;
  }

  async incrWithTtl(key: string, ttlMs: number, by = 1): Promise<Counter> {
    const [value, left] = (await this.client.eval(INCR_WITH_TTL, 1, key, by, ttl(ttlMs))) as [number, number];
    return { value, ttlMs: left };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

function ttl(ms: number): number {
  return Math.max(1, Math.round(ms));
}

// Scripts run atomically on the server: no other command runs between their steps.
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const INCR_WITH_TTL = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {value, left}`;
