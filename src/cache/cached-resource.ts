import { readingPrimary } from '../db/replicas/read-scope.js';
import type { CacheRecorder } from '../metrics/cache-metrics.js';
import type { CacheCore } from './cache-core.js';
import { type CacheEntry, decodeEntry, encodeEntry, jittered, shouldRefreshEarly } from './cache-entry.js';
import type { ConditionalSet } from './cache-store.js';
import { type Codec, jsonCodec } from './codec.js';
import type { NearCache } from './near-cache.js';

export interface ResourceSpec<K, V> {
  /** Lower-case name of the resource, e.g. `catalog_item`: the key namespace and the metrics label. */
  readonly name: string;
  /** Format version: bump it when the cached shape changes, so old entries are never read. */
  readonly version: number;
  /**
   * Loads the given keys from the source of truth in ONE call; returns what
   * exists, keyed by `idOf(key)`. A key absent from the map is NOT_FOUND.
   */
  readonly load: (keys: readonly K[]) => Promise<ReadonlyMap<string, V>>;
  /** The id of a key (unique per resource); defaults to `String(key)`. */
  readonly idOf?: (key: K) => string;
  /**
   * Defaults to plain JSON. Both hits and misses return `decode(encode(loaded))`;
   * with a near cache that value is kept and handed to every reader of the
   * key, so readers must not change it.
   */
  readonly codec?: Codec<V>;
  /**
   * The loader's values already are what `decode(encode(value))` would give
   * (plain data, made afresh by each load and kept by nobody else): a loaded
   * value is then served, and kept near, as loaded, without decoding its own
   * encoding (with caching off, without the codec at all).
   */
  readonly loadsDecoded?: boolean;
  /** Overrides the Cache's value TTL for this resource. */
  readonly ttlMs?: number;
  /** Overrides the Cache's NOT_FOUND TTL for this resource. */
  readonly negativeTtlMs?: number;
}

/** Outcome of one load as the waiters of a flight see it; undefined = NOT_FOUND. */
type Flight<V> = Promise<V | undefined>;

interface Miss<K> {
  readonly key: K;
  readonly id: string;
  readonly fullKey: string;
  /** The generation seen before loading; undefined = may not write back (store unavailable, invalidation pending). */
  readonly token: string | undefined;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Cache-aside for one resource type, keyed `v<version>:<name>:{<id>}` under
 * the store's prefix (the braces are a Redis Cluster hash tag, keeping a key
 * and its generation in one slot).
 *
 * - get / getMany: one MGET for all keys; one `load` call for all misses;
 *   per-key single-flight, so concurrent misses in this process share one load.
 * - NOT_FOUND is cached too, for `negativeTtlMs`.
 * - Every TTL is jittered; hot keys are refreshed early (XFetch) by one reader.
 * - invalidate (after commit): moves the keys' generations; a load that began
 *   before cannot write its old value back, and in-process flights are dropped
 *   so later readers load afresh.
 * - Store down or slow: reads fall through to `load`, nothing throws.
 * - With a near-cache TTL, the hottest keys are also kept in this process,
 *   decoded (see NearCache): no round trip and no decoding at all; another
 *   replica's write shows after at most that TTL (pushed invalidations let
 *   entries live longer without weakening that bound).
 */
export class CachedResource<K, V> {
  readonly name: string;
  private readonly prefix: string;
  private readonly idOf: (key: K) => string;
  private readonly codec: Codec<V>;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly recorder: CacheRecorder;
  private readonly flights = new Map<string, Flight<V>>();
  private readonly near: NearCache<V>;

  constructor(
    private readonly cache: CacheCore,
    private readonly spec: ResourceSpec<K, V>,
  ) {
    if (!NAME.test(spec.name)) throw new Error(`cache name ${JSON.stringify(spec.name)} must match ${NAME}`);
    if (!Number.isInteger(spec.version) || spec.version < 1) throw new Error('cache version must be a positive integer');
    this.name = spec.name;
    this.prefix = `v${spec.version}:${spec.name}:`;
    this.idOf = spec.idOf ?? ((key) => String(key));
    this.codec = spec.codec ?? jsonCodec<V>();
    this.ttlMs = spec.ttlMs ?? cache.options.ttlMs;
    this.negativeTtlMs = spec.negativeTtlMs ?? cache.options.negativeTtlMs;
    this.recorder = cache.recorder(spec.name);
    this.near = cache.nearCacheFor<V>(this.prefix);
  }

  /** The store key of an id (without the store's own prefix). */
  keyOf(id: string): string {
    return `${this.prefix}{${id}}`;
  }

  /** The value, or undefined when the source has none (NOT_FOUND, cached briefly). */
  async get(key: K): Promise<V | undefined> {
    const id = this.idOf(key);
    if (this.cache.enabled && this.near.enabled) {
      // The near hit of a point read, without getMany's maps and arrays: the commonest read of all.
      const value = this.near.read(id, Date.now());
      if (value !== undefined) {
        this.recorder.hits(1);
        return value ?? undefined;
      }
    }
    return (await this.getMany([key])).get(id);
  }

  /** Every key that exists, by id; ids missing from the map are NOT_FOUND. */
  async getMany(keys: readonly K[]): Promise<Map<string, V>> {
    const byId = new Map<string, K>();
    for (const key of keys) byId.set(this.idOf(key), key);
    if (!this.cache.enabled) return this.loadUncached(byId);
    const since = this.near.mark();
    const result = new Map<string, V>();
    let ids = [...byId.keys()];
    if (this.near.enabled) {
      const now = Date.now();
      const remaining: string[] = [];
      for (const id of ids) {
        const value = this.near.read(id, now);
        if (value === undefined) remaining.push(id);
        else if (value !== null) result.set(id, value);
      }
      this.recorder.hits(ids.length - remaining.length);
      if (remaining.length === 0) return result;
      ids = remaining;
    }
    const fullKeys = ids.map((id) => this.keyOf(id));
    const reads = await this.cache.attempt(this.recorder, this.name, 'get', () => this.cache.store.readVersioned(fullKeys));

    const waits: Promise<void>[] = [];
    const misses: Miss<K>[] = [];
    const now = Date.now();
    let hits = 0;
    const unreadable: string[] = [];
    ids.forEach((id, i) => {
      const fullKey = fullKeys[i] as string;
      const read = reads?.[i];
      const pending = this.cache.isPending(fullKey);
      const entry = read?.value != null && !pending ? decodeEntry(read.value) : undefined;
      const usable = entry !== undefined && !shouldRefreshEarly(entry, now, this.cache.options.beta);
      if (usable && (!entry.found || this.opened(entry.payload, id, result))) {
        hits++;
        if (this.near.enabled) this.near.fill(id, entry.found ? (result.get(id) as V) : null, since, now, entry.expiresAt);
        return;
      }
      if (usable) unreadable.push(fullKey);
      const flight = this.flights.get(id);
      if (flight !== undefined) {
        waits.push(flight.then((value) => void (value !== undefined && result.set(id, value))));
        return;
      }
      misses.push({ key: byId.get(id) as K, id, fullKey, token: read !== undefined && !pending ? read.token : undefined });
    });
    this.recorder.hits(hits);
    this.recorder.misses(ids.length - hits);
    if (unreadable.length > 0) await this.drop(unreadable);

    if (misses.length > 0) {
      const loaded = this.loadMisses(misses, since);
      for (const miss of misses) {
        const flight = loaded.then((values) => values.get(miss.id));
        // Waiters that fail are the callers' to see; the map must not hold a rejected promise.
        flight.catch(() => undefined);
        this.flights.set(miss.id, flight);
        waits.push(flight.then((value) => void (value !== undefined && result.set(miss.id, value))));
        void flight.then(
          () => this.endFlight(miss.id, flight),
          () => this.endFlight(miss.id, flight),
        );
      }
    }
    await Promise.all(waits);
    return result;
  }

  /**
   * Call after the transaction that changed these keys has committed (never
   * before, never inside). Never throws: a failed invalidation is counted,
   * logged and replayed when the store is back; until then this process reads
   * those keys from the source.
   */
  async invalidate(keys: readonly K[]): Promise<void> {
    const ids = [...new Set(keys.map((key) => this.idOf(key)))];
    for (const id of ids) this.flights.delete(id);
    this.near.invalidate(ids);
    await this.cache.invalidateKeys(
      this.recorder,
      this.name,
      ids.map((id) => this.keyOf(id)),
    );
  }

  /** One call to `load` for all misses, then the conditional write-back; resolves with decoded values by id. */
  private async loadMisses(misses: readonly Miss<K>[], since: number): Promise<Map<string, V>> {
    const startedAt = performance.now();
    // What is loaded here outlives this call (other callers read it): never from a replica that may lag.
    const loaded = await readingPrimary(() => this.spec.load(misses.map((m) => m.key)));
    const loadMs = performance.now() - startedAt;
    const values = new Map<string, V>();
    const writes: ConditionalSet[] = [];
    const now = Date.now();
    // A load slower than half a generation's life could outlive an invalidation's generation: serve it, do not cache it.
    const mayWrite = loadMs < this.cache.options.generationTtlMs / 2;
    for (const miss of misses) {
      const value = loaded.get(miss.id);
      const payload = value === undefined ? undefined : this.codec.encode(value);
      const decoded = payload === undefined ? undefined : this.spec.loadsDecoded ? value : this.codec.decode(payload);
      if (decoded !== undefined) values.set(miss.id, decoded);
      if (this.near.enabled && mayWrite && !this.cache.isPending(miss.fullKey)) this.near.fill(miss.id, decoded ?? null, since, now);
      if (!mayWrite || miss.token === undefined || this.cache.isPending(miss.fullKey)) continue;
      const ttlMs = jittered(payload === undefined ? this.negativeTtlMs : this.ttlMs, this.cache.options.jitter);
      const entry: CacheEntry =
        payload === undefined ? { found: false, expiresAt: now + ttlMs, loadMs } : { found: true, payload, expiresAt: now + ttlMs, loadMs };
      writes.push({ key: miss.fullKey, value: encodeEntry(entry), ttlMs, token: miss.token });
    }
    if (writes.length > 0) {
      const written = await this.cache.attempt(this.recorder, this.name, 'set', () => this.cache.store.setIfUnchanged(writes));
      this.recorder.sets(written?.filter(Boolean).length ?? 0);
    }
    return values;
  }

  /** Caching turned off: the loader alone, values in the shape a hit would have. */
  private async loadUncached(byId: ReadonlyMap<string, K>): Promise<Map<string, V>> {
    const loaded = await readingPrimary(() => this.spec.load([...byId.values()]));
    const result = new Map<string, V>();
    const asLoaded = this.spec.loadsDecoded === true;
    for (const [id, value] of loaded) if (byId.has(id)) result.set(id, asLoaded ? value : this.codec.decode(this.codec.encode(value)));
    return result;
  }

  /**
   * Decodes a cached payload into `result`; false when this process cannot
   * open it (e.g. sealed under a key it no longer holds, or a shape it does
   * not know). Such an entry is a miss, never the caller's error.
   */
  private opened(payload: string, id: string, result: Map<string, V>): boolean {
    try {
      result.set(id, this.codec.decode(payload));
      return true;
    } catch {
      this.recorder.unreadable(1);
      return false;
    }
  }

  /** Deletes entries that could not be opened, so no reader trips on them again; the load that follows refills them. */
  private async drop(fullKeys: readonly string[]): Promise<void> {
    await this.cache.attempt(this.recorder, this.name, 'drop', () => this.cache.store.del(fullKeys));
  }

  private endFlight(id: string, flight: Flight<V>): void {
    if (this.flights.get(id) === flight) this.flights.delete(id);
  }
}
