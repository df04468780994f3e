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
  /** Writes only when the key is absent; true when it wrote. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Writes only when the key holds exactly `expected`; true when it wrote. */
  compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Adds `by` (may be negative) to an integer counter, atomically. A counter
   * that did not exist starts at 0 and gets `ttlMs`; later calls keep the TTL
   * it has (a fixed window). Returns the new value and the ms left in the window.
   */
  incrWithTtl(key: string, ttlMs: number, by?: number): Promise<Counter>;
  /** True when the store answers right now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Counter {
  readonly value: number;
  /** Milliseconds until the counter expires. */
  readonly ttlMs: number;
}
