import { Redis } from 'ioredis';
import type { CacheStore } from './cache-store.js';

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
    await this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.client.del(...keys);
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
