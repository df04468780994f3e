import type { CacheOperation, CacheRecorder } from '../metrics/cache-metrics.js';
import type { CacheStore } from './cache-store.js';
import type { NearCache } from './near-cache.js';

/** The settled options every resource of one Cache shares. */
export interface ResolvedCacheOptions {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly jitter: number;
  readonly beta: number;
  readonly generationTtlMs: number;
  readonly nearTtlMs: number;
  readonly nearPushedTtlMs: number;
  readonly nearMaxEntries: number;
}

/**
 * What a CachedResource or a KeyValueCache uses of the Cache that made it:
 * the store, the shared options and metrics, the breaker (`attempt`) and the
 * failed invalidations. Cache implements it; they never import Cache itself.
 */
export interface CacheCore {
  readonly store: CacheStore;
  readonly options: ResolvedCacheOptions;
  /** False when caching is turned off: every read goes to the loader. */
  readonly enabled: boolean;
  /** The metrics of one named cache. */
  recorder(cache: string): CacheRecorder;
  /** Runs a store operation unless the breaker is open; on failure counts and logs it and returns undefined. */
  attempt<T>(recorder: CacheRecorder, cache: string, operation: CacheOperation, fn: () => Promise<T>): Promise<T | undefined>;
  /** True while an invalidation of `key` has failed and not yet been replayed. */
  isPending(key: string): boolean;
  /** Invalidates full keys; what fails is replayed until the store takes it. */
  invalidateKeys(recorder: CacheRecorder, cache: string, keys: readonly string[]): Promise<void>;
  /** The near cache of the resource whose keys start with `prefix`. */
  nearCacheFor<V>(prefix: string): NearCache<V>;
}
