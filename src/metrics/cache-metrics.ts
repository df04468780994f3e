import { Counter, Gauge, type Registry } from 'prom-client';
import { BatchedChildren } from './batched-counter.js';

/** What the cache layer reports for one named cache (one resource). */
export interface CacheRecorder {
  hits(n: number): void;
  misses(n: number): void;
  sets(n: number): void;
  invalidations(n: number): void;
  /** Cached values this process could not open: counted, dropped, served as misses. */
  unreadable(n: number): void;
  error(operation: CacheOperation): void;
}

const CACHE_OPERATIONS = ['get', 'set', 'invalidate', 'replay', 'drop'] as const;
export type CacheOperation = (typeof CACHE_OPERATIONS)[number];

/**
 * Cache metrics: counters of gets by result, sets, invalidations and store
 * errors per cache, and `cache_hit_ratio` over a sliding window (`windowMs`
 * in `bucketMs` buckets), computed when scraped from in-process counts. Every
 * counter of a cache is exported (at 0) from the moment the cache is made, so
 * rates and error ratios over them are 0, not absent, while nothing happens.
 */
export class CacheMetrics {
  private readonly gets: Counter<'cache' | 'result'>;
  private readonly errors: Counter<'cache' | 'operation'>;
  private readonly setCount: Counter<'cache'>;
  private readonly invalidationCount: Counter<'cache'>;
  private readonly unreadableCount: Counter<'cache'>;
  /** Hits and misses count in plain numbers, handed to `gets` when it is read (see BatchedCounter). */
  private readonly getCounts = new BatchedChildren();
  private readonly windows = new Map<string, HitWindow>();
  private readonly recorders = new Map<string, CacheRecorder>();

  constructor(
    registry: Registry,
    private readonly windowMs = 60_000,
    private readonly bucketMs = 10_000,
  ) {
    const registers = [registry];
    const getCounts = this.getCounts;
    this.gets = new Counter({
      name: 'cache_gets_total',
      help: 'Cache reads by result (hit or miss); a negative (NOT_FOUND) entry served is a hit.',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        getCounts.collect(this);
      },
    });
    this.errors = new Counter({
      name: 'cache_errors_total',
      help: 'Cache store operations that failed (Redis down or slow); the caller was served from the database.',
      labelNames: ['cache', 'operation'],
      registers,
    });
    this.setCount = new Counter({ name: 'cache_sets_total', help: 'Entries written to the cache.', labelNames: ['cache'], registers });
    this.invalidationCount = new Counter({
      name: 'cache_invalidations_total',
      help: 'Keys invalidated after a commit.',
      labelNames: ['cache'],
      registers,
    });
    this.unreadableCount = new Counter({
      name: 'cache_unreadable_total',
      help: 'Cached values this process could not open (e.g. sealed under a key it no longer holds): dropped and read from the database.',
      labelNames: ['cache'],
      registers,
    });
    const windows = this.windows;
    new Gauge({
      name: 'cache_hit_ratio',
      help: `Hits over gets in the last ${Math.round(windowMs / 1000)} s (sliding window), or in the last such window with gets while there are none; absent before the first get.`,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const [cache, window] of windows) {
          const ratio = window.ratio(now);
          if (ratio !== undefined) this.set({ cache }, ratio);
        }
      },
    });
  }

  /** The recorder of one cache, created once and reused on every call. */
  forCache(cache: string): CacheRecorder {
    let recorder = this.recorders.get(cache);
    if (recorder === undefined) {
      const window = new HitWindow(this.windowMs, this.bucketMs);
      this.windows.set(cache, window);
      const hitLabels = { cache, result: 'hit' };
      const missLabels = { cache, result: 'miss' };
      const hit = this.getCounts.child(hitLabels);
      const miss = this.getCounts.child(missLabels);
      const sets = this.setCount.labels({ cache });
      const invalidations = this.invalidationCount.labels({ cache });
      const unreadable = this.unreadableCount.labels({ cache });
      const errors = new Map(CACHE_OPERATIONS.map((operation) => [operation, this.errors.labels({ cache, operation })]));
      this.gets.inc(hitLabels, 0);
      this.gets.inc(missLabels, 0);
      for (const counter of [sets, invalidations, unreadable, ...errors.values()]) counter.inc(0);
      recorder = {
        hits: (n) => {
          if (n === 0) return;
          hit.inc(n);
          window.add(Date.now(), n, 0);
        },
        misses: (n) => {
          if (n === 0) return;
          miss.inc(n);
          window.add(Date.now(), 0, n);
        },
        sets: (n) => n > 0 && sets.inc(n),
        invalidations: (n) => n > 0 && invalidations.inc(n),
        unreadable: (n) => n > 0 && unreadable.inc(n),
        error: (operation) => errors.get(operation)?.inc(),
      };
      this.recorders.set(cache, recorder);
    }
    return recorder;
  }
}

/**
 * Hits and misses per time bucket in a ring; buckets older than the window are
 * ignored. A window without gets reports the ratio of the last one that had
 * some: an idle cache keeps its ratio instead of vanishing from the dashboard.
 */
class HitWindow {
  private readonly starts: number[];
  private readonly hits: number[];
  private readonly misses: number[];
  private last: number | undefined;

  constructor(
    windowMs: number,
    private readonly bucketMs: number,
  ) {
    const n = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.starts = new Array<number>(n).fill(-1);
    this.hits = new Array<number>(n).fill(0);
    this.misses = new Array<number>(n).fill(0);
  }

  add(now: number, hits: number, misses: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    const i = bucket % this.starts.length;
    if (this.starts[i] !== bucket) {
      this.starts[i] = bucket;
      this.hits[i] = 0;
      this.misses[i] = 0;
    }
    this.hits[i] = (this.hits[i] ?? 0) + hits;
    this.misses[i] = (this.misses[i] ?? 0) + misses;
  }

  ratio(now: number): number | undefined {
    const current = Math.floor(now / this.bucketMs);
    let hits = 0;
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i] ?? -1;
      if (start < 0 || current - start >= this.starts.length) continue;
      hits += this.hits[i] ?? 0;
      total += (this.hits[i] ?? 0) + (this.misses[i] ?? 0);
    }
    if (total > 0) this.last = hits / total;
    return this.last;
  }
}

/** A recorder that records nothing, for caches built without a registry. */
export const NO_CACHE_METRICS: CacheRecorder = {
  hits: () => undefined,
  misses: () => undefined,
  sets: () => undefined,
  invalidations: () => undefined,
  unreadable: () => undefined,
  error: () => undefined,
};
