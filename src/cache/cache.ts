import type { Logger } from '../logger.js';
import { type CacheMetrics, type CacheOperation, type CacheRecorder, NO_CACHE_METRICS } from '../metrics/cache-metrics.js';
import type { CacheCore, ResolvedCacheOptions } from './cache-core.js';
import type { CacheStore } from './cache-store.js';
import { CachedResource, type ResourceSpec } from './cached-resource.js';
import type { InvalidationFeed } from './invalidation-feed.js';
import { KeyValueCache } from './key-value-cache.js';
import { NearCache } from './near-cache.js';

export interface CacheOptions {
  /** TTL of a cached value (before ±jitter). Also the bound on staleness after a lost invalidation. */
  readonly ttlMs: number;
  /** TTL of a cached NOT_FOUND. */
  readonly negativeTtlMs: number;
  /**
   * How long this process may keep a value it read, in front of the store; 0
   * (the default) keeps nothing in process. It bounds how late another
   * replica's write shows here.
   */
  readonly nearTtlMs?: number;
  /**
   * How long this process may keep a value in front of the store while the
   * store's invalidation feed vouches for it (see InvalidationFeed); at most
   * `nearTtlMs` when the feed is down or this is not above `nearTtlMs` (the
   * default, 0, uses no feed).
   */
  readonly nearPushedTtlMs?: number;
  /** Most values each resource keeps in process. */
  readonly nearMaxEntries?: number;
  /** Spread of every TTL, as a fraction (0.1 = ±10%). */
  readonly jitter?: number;
  /** XFetch eagerness; 0 turns early refresh off. */
  readonly beta?: number;
  /**
   * How long a key's generation outlives an invalidation. A load that takes
   * longer than half of it is served but not cached, so a generation can
   * never expire under a load that began before it was set.
   */
  readonly generationTtlMs?: number;
  readonly metrics?: CacheMetrics;
  readonly log?: Logger;
  /** How often failed invalidations are retried while the store is unavailable. */
  readonly replayIntervalMs?: number;
  /** After this many store errors in a row, skip the store for `openMs` (reads go straight to the loader). */
  readonly breaker?: { readonly failures: number; readonly openMs: number };
  readonly maxPendingInvalidations?: number;
  /**
   * False: resources read straight from their loaders (no store reads or
   * writes, no metrics); invalidations still go to the store, so replicas
   * that do cache stay fresh. For measuring and for turning caching off.
   */
  readonly enabled?: boolean;
}

/**
 * The cache-aside layer over one CacheStore: hands out CachedResources (one
 * per cached resource type) and KeyValueCaches (plain get/set/del), and owns
 * what they share: options, metrics, a breaker that stops paying the command
 * timeout on every read while Redis is down, and the invalidations that
 * failed, which it replays when the store is back.
 *
 * Nothing here throws because of the store: reads fall back to the loader,
 * writes and invalidations are counted and logged when they fail.
 */
export class Cache implements CacheCore {
  readonly options: ResolvedCacheOptions;
  /** Whether resources read through the store; see CacheOptions.enabled. */
  readonly enabled: boolean;
  private readonly metrics: CacheMetrics | undefined;
  private readonly log: Logger | undefined;
  private readonly pending = new Set<string>();
  private readonly maxPending: number;
  private readonly replayIntervalMs: number;
  private replayTimer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private readonly breakerFailures: number;
  private readonly breakerOpenMs: number;
  private consecutiveFailures = 0;
  private openUntil = 0;
  private closed = false;
  /** Invalidations to and from the other replicas, where the store carries them (see nearPushedTtlMs). */
  private readonly feed: InvalidationFeed | undefined;
  /** The near cache of each resource, by key prefix (`v1:catalog_item:`), for the pushed invalidations. */
  private readonly nearCaches = new Map<string, NearCache<unknown>>();

  constructor(
    readonly store: CacheStore,
    options: CacheOptions,
  ) {
    this.options = {
      ttlMs: options.ttlMs,
      negativeTtlMs: options.negativeTtlMs,
      jitter: options.jitter ?? 0.1,
      beta: options.beta ?? 1,
      generationTtlMs: options.generationTtlMs ?? Math.max(60_000, 2 * options.negativeTtlMs),
      nearTtlMs: options.nearTtlMs ?? 0,
      nearPushedTtlMs: options.nearPushedTtlMs ?? 0,
      nearMaxEntries: options.nearMaxEntries ?? 10_000,
    };
    this.enabled = options.enabled ?? true;
    this.metrics = options.metrics;
    this.log = options.log;
    this.maxPending = options.maxPendingInvalidations ?? 100_000;
    this.replayIntervalMs = options.replayIntervalMs ?? 1_000;
    this.breakerFailures = options.breaker?.failures ?? 5;
    this.breakerOpenMs = options.breaker?.openMs ?? 1_000;
    // Published whatever this replica's own settings: other replicas may keep their copies long on the strength of it.
    this.feed = store.invalidationFeed?.({ boundMs: this.options.nearTtlMs > 0 ? this.options.nearTtlMs : 1_000 });
    this.feed?.onInvalidated((keys) => this.invalidatedElsewhere(keys));
    store.onReady(() => {
      this.openUntil = 0;
      this.consecutiveFailures = 0;
      void this.replay();
    });
  }

  /** A cached resource type; see CachedResource. */
  resource<K, V>(spec: ResourceSpec<K, V>): CachedResource<K, V> {
    return new CachedResource(this, spec);
  }

  /** The near cache of the resource whose keys start with `prefix`; see NearCache. */
  nearCacheFor<V>(prefix: string): NearCache<V> {
    const { nearTtlMs, nearMaxEntries, nearPushedTtlMs } = this.options;
    const pushed = this.enabled && nearPushedTtlMs > nearTtlMs ? nearPushedTtlMs : 0;
    const near = new NearCache<V>(nearTtlMs, nearMaxEntries, pushed, this.feed);
    this.nearCaches.set(prefix, near as NearCache<unknown>);
    return near;
  }

  /** Plain namespaced get/set/del with TTLs (sessions and the like); see KeyValueCache. */
  keyValue(name: string, version = 1): KeyValueCache {
    return new KeyValueCache(this, name, version);
  }

  /** The metrics of one named cache. */
  recorder(cache: string): CacheRecorder {
    return this.metrics?.forCache(cache) ?? NO_CACHE_METRICS;
  }

  /**
   * Runs a store operation unless the breaker is open; on failure counts and
   * logs it and returns undefined. Never throws.
   */
  async attempt<T>(recorder: CacheRecorder, cache: string, operation: CacheOperation, fn: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.openUntil) return undefined;
    try {
      const result = await fn();
      this.consecutiveFailures = 0;
      return result;
    } catch (err) {
      recorder.error(operation);
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= this.breakerFailures) this.openUntil = Date.now() + this.breakerOpenMs;
      this.log?.warn({ err, cache, operation }, 'cache store failed; served from the database');
      return undefined;
    }
  }

  /** True while an invalidation of `key` has failed and not yet been replayed: the store's copy may be stale. */
  isPending(key: string): boolean {
    return this.pending.size > 0 && this.pending.has(key);
  }

  /**
   * Invalidates full keys. Always attempted (even with the breaker open: a
   * lost invalidation costs freshness, a slow one only time); what fails is
   * remembered and replayed until the store takes it.
   */
  async invalidateKeys(recorder: CacheRecorder, cache: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    recorder.invalidations(keys.length);
    try {
      await this.store.invalidate(keys, this.options.generationTtlMs);
      // After the store dropped them: a replica that hears of them and reads again finds them gone.
      await this.feed?.publish(keys);
      this.consecutiveFailures = 0;
      if (this.pending.size > 0) for (const key of keys) this.pending.delete(key);
    } catch (err) {
      recorder.error('invalidate');
      this.log?.warn({ err, cache, keys: keys.length }, 'cache invalidation failed; it is replayed when the store is back');
      this.remember(keys);
    }
  }

  /** Retries the failed invalidations now (also runs on reconnect and on a timer). */
  async replay(): Promise<void> {
    if (this.replaying) return this.replaying;
    if (this.pending.size === 0) return;
    this.replaying = (async () => {
      try {
        while (this.pending.size > 0 && !this.closed) {
          const batch = [...this.pending].slice(0, 500);
          try {
            await this.store.invalidate(batch, this.options.generationTtlMs);
            await this.feed?.publish(batch);
          } catch {
            this.recorder('all').error('replay');
            return;
          }
          for (const key of batch) this.pending.delete(key);
        }
        this.log?.info('replayed failed cache invalidations');
      } finally {
        this.replaying = undefined;
        if (this.pending.size === 0) this.stopReplayTimer();
      }
    })();
    return this.replaying;
  }

  /** How many failed invalidations wait for the store. */
  get pendingInvalidations(): number {
    return this.pending.size;
  }

  /** Stops the replay timer; the store (and its feed) is closed by its owner. */
  close(): void {
    this.closed = true;
    this.stopReplayTimer();
  }

  /** Keys `v<version>:<name>:{<id>}` another replica invalidated: dropped from the near caches. */
  private invalidatedElsewhere(keys: readonly string[]): void {
    const byPrefix = new Map<NearCache<unknown>, string[]>();
    for (const key of keys) {
      const open = key.indexOf('{');
      const near = open > 0 && key.endsWith('}') ? this.nearCaches.get(key.slice(0, open)) : undefined;
      if (near === undefined) continue;
      const ids = byPrefix.get(near) ?? [];
      ids.push(key.slice(open + 1, -1));
      byPrefix.set(near, ids);
    }
    for (const [near, ids] of byPrefix) near.invalidate(ids);
  }

  private remember(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.pending.size >= this.maxPending) {
        // Past this, staleness is bounded by the value TTL alone.
        this.log?.error({ max: this.maxPending }, 'too many failed cache invalidations to remember; relying on TTLs');
        break;
      }
      this.pending.add(key);
    }
    if (this.replayTimer === undefined && !this.closed) {
      this.replayTimer = setInterval(() => void this.replay(), this.replayIntervalMs);
      this.replayTimer.unref();
    }
  }

  private stopReplayTimer(): void {
    if (this.replayTimer !== undefined) clearInterval(this.replayTimer);
    this.replayTimer = undefined;
  }
}
