import type { InvalidationFeed } from './invalidation-feed.js';

/**
 * The few key-value operations the cache layer needs, so that the service runs
 * on Redis or, with no Redis at hand, on an in-process map with the same TTL
 * semantics. Every write carries a TTL: nothing of ours lives forever.
 *
 * `get`, `mget`, `set` and `del` are plain primitives (sessions use them).
 * `readVersioned`, `setIfUnchanged` and `invalidate` carry the generation
 * protocol that keeps a reader from writing back a value that a writer
 * invalidated while the reader was loading it: every key has a companion
 * generation key; `invalidate` moves it; a reader remembers the generation it
 * saw before loading and writes only if it is still the same (atomically).
 */
export interface CacheStore {
  readonly backend: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number, options?: WriteOptions): Promise<void>;
  del(keys: readonly string[]): Promise<void>;
  /** Values of `keys` with the generation token of each, read together (one round trip). */
  readVersioned(keys: readonly string[]): Promise<VersionedRead[]>;
  /**
   * Writes each entry only if its key's generation still equals `token`;
   * one boolean per entry, true when written. Atomic per key.
   */
  setIfUnchanged(entries: readonly ConditionalSet[]): Promise<boolean[]>;
  /**
   * Deletes the values and gives each key a new generation that lives
   * `generationTtlMs`, so a load that started before cannot write back.
   */
  invalidate(keys: readonly string[], generationTtlMs: number): Promise<void>;
  /** Writes only when the key is absent; true when it wrote. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Writes only when the key holds exactly `expected`; true when it wrote. */
  compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Adds `by` (may be negative) to an integer counter, atomically. A counter
   * that did not exist starts at 0 and gets `ttlMs`; later calls keep the TTL
   * it has (a fixed window). Returns the new value and the ms left in the window.
   */
  incrWithTtl(key: string, ttlMs: number, by?: number, options?: WriteOptions): Promise<Counter>;
  /** True when the store answers right now. */
  ping(): Promise<boolean>;
  /**
   * The feed that carries invalidations to every process on this store, so
   * near caches may keep entries longer (see InvalidationFeed); one per store,
   * started on first call. Absent where there is none.
   */
  invalidationFeed?(options: { readonly boundMs: number }): InvalidationFeed;
  /** Calls `listener` whenever the store becomes usable again after an outage. */
  onReady(listener: () => void): void;
  close(): Promise<void>;
}

/** How hard a write tries to outlive the server that took it. */
export interface WriteOptions {
  /**
   * For writes access control depends on: where the key's server has a
   * replica (Redis Cluster), wait a bounded time until the replica has it,
   * so that a failover to that replica does not forget it.
   */
  readonly replicated?: boolean;
  /**
   * For counters: an id of this operation. An increment repeated with the
   * same id within the counter's window is applied once (a retry after a
   * lost reply does not count twice); the repeat returns the counter as it
   * stands. Stores whose calls cannot fail after applying may ignore it.
   */
  readonly once?: string;
}

export interface VersionedRead {
  readonly value: string | null;
  /** The generation seen; `''` when the key has none. */
  readonly token: string;
}

export interface ConditionalSet {
  readonly key: string;
  readonly value: string;
  readonly ttlMs: number;
  readonly token: string;
}

/** The companion key that holds a key's generation (same Redis Cluster slot when the key has a hash tag). */
export function generationKey(key: string): string {
  return `${key}:gen`;
}

/** A fresh generation token: unique, so a generation that expired and came back can never match an old one. */
export function newGenerationToken(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
}

export interface Counter {
  readonly value: number;
  /** Milliseconds until the counter expires. */
  readonly ttlMs: number;
}
