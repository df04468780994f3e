/**
 * The few key-value operations the cache layer needs, so that the service runs
 * on Redis or, with no Redis at hand, on an in-process map with the same TTL
 * semantics. Every write carries a TTL: nothing of ours lives forever.
 */
export interface CacheStore {
  readonly backend: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(keys: readonly string[]): Promise<void>;
  /** True when the store answers right now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
