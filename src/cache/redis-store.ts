import { Redis } from 'ioredis';
import {
  type CacheStore,
  type ConditionalSet,
  type Counter,
  generationKey,
  newGenerationToken,
  type VersionedRead,
} from './cache-store.js';

export interface RedisSettings {
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

/**
 * Sets KEYS[1] to ARGV[2] with a TTL of ARGV[3] ms only if KEYS[2] (its
 * generation) still holds ARGV[1] ('' standing for "no generation").
 */
const SET_IF_UNCHANGED = `
local g = redis.call('GET', KEYS[2])
if (g or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

interface ScriptedRedis extends Redis {
  setIfUnchanged(key: string, generation: string, token: string, value: string, ttlMs: number): Promise<number>;
}

/**
 * Redis through ioredis, set to fail fast: no offline queue and a short
 * command timeout, so an outage costs a cache miss, never a stuck request.
 * It keeps reconnecting in the background and fills again when Redis is back.
 * Scripts run by EVALSHA (ioredis falls back to EVAL once after a restart
 * flushed the script cache).
 */
export class RedisStore implements CacheStore {
  readonly backend = 'redis';
  readonly client: Redis;
  private readonly scripted: ScriptedRedis;

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
    this.client.defineCommand('setIfUnchanged', { numberOfKeys: 2, lua: SET_IF_UNCHANGED });
    this.scripted = this.client as ScriptedRedis;
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
    await this.client.set(key, value, 'PX', ttlOf(ttlMs));
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.client.del(...keys);
  }

  async readVersioned(keys: readonly string[]): Promise<VersionedRead[]> {
    if (keys.length === 0) return [];
    const raw = await this.client.mget(...keys.flatMap((key) => [key, generationKey(key)]));
    return keys.map((_, i) => ({ value: raw[2 * i] ?? null, token: raw[2 * i + 1] ?? '' }));
  }

  async setIfUnchanged(entries: readonly ConditionalSet[]): Promise<boolean[]> {
    if (entries.length === 1) {
      const [e] = entries as [ConditionalSet];
      return [(await this.scripted.setIfUnchanged(e.key, generationKey(e.key), e.token, e.value, ttlOf(e.ttlMs))) === 1];
    }
    const pipeline = this.scripted.pipeline() as unknown as ScriptedPipeline;
    for (const e of entries) pipeline.setIfUnchanged(e.key, generationKey(e.key), e.token, e.value, ttlOf(e.ttlMs));
    return ((await pipeline.exec()) ?? []).map(([err, result]) => {
      if (err) throw err;
      return result === 1;
    });
  }

  async invalidate(keys: readonly string[], generationTtlMs: number): Promise<void> {
    if (keys.length === 0) return;
    // In order per key: the new generation first, so a conditional set
    // squeezed in between already sees it and refuses.
    const pipeline = this.client.pipeline();
    for (const key of keys) {
      pipeline.set(generationKey(key), newGenerationToken(), 'PX', ttlOf(generationTtlMs));
      pipeline.del(key);
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, 'PX', ttlOf(ttlMs), 'NX')) === 'OK';
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(COMPARE_AND_SET, 1, key, expected, value, ttlOf(ttlMs))) === 1;
  }

  async incrWithTtl(key: string, ttlMs: number, by = 1): Promise<Counter> {
    const [value, left] = (await this.client.eval(INCR_WITH_TTL, 1, key, by, ttlOf(ttlMs))) as [number, number];
    return { value, ttlMs: left };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  onReady(listener: () => void): void {
    this.client.on('ready', listener);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

interface ScriptedPipeline {
  setIfUnchanged(key: string, generation: string, token: string, value: string, ttlMs: number): void;
  exec(): Promise<[Error | null, unknown][] | null>;
}

function ttlOf(ms: number): number {
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
