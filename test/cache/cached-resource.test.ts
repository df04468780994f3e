import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { decodeEntry } from '../../src/cache/cache-entry.js';
import type { CacheStore } from '../../src/cache/cache-store.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { CacheMetrics } from '../../src/metrics/cache-metrics.js';

interface Row {
  readonly id: string;
  readonly title: string;
  readonly updated: Date;
}

/** A source of truth in memory that counts and can hold its loads. */
class Source {
  readonly rows = new Map<string, Row>();
  loads: string[][] = [];
  private gate: Promise<void> | undefined;
  private opened: (() => void) | undefined;
  private arrived: (() => void) | undefined;
  delayMs = 0;

  put(id: string, title: string): void {
    this.rows.set(id, { id, title, updated: new Date() });
  }

  /** The next loads block after reading the rows until `release()`; resolves when one has read. */
  holdNextLoad(): Promise<void> {
    this.gate = new Promise((resolve) => {
      this.opened = resolve;
    });
    return new Promise((resolve) => {
      this.arrived = resolve;
    });
  }

  release(): void {
    this.opened?.();
    this.gate = undefined;
  }

  load = async (ids: readonly string[]): Promise<Map<string, Row>> => {
    this.loads.push([...ids]);
    // Read first, as a database would, then maybe stall before returning.
    const result = new Map<string, Row>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) result.set(id, { ...row });
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const gate = this.gate;
    if (gate) {
      this.arrived?.();
      await gate;
    }
    return result;
  };
}

const redisStores: RedisStore[] = [];
async function redisStore(): Promise<RedisStore> {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix: `test:${randomBytes(4).toString('hex')}:`, commandTimeoutMs: 1_000 });
  await store.connect();
  redisStores.push(store);
  return store;
}
afterAll(async () => {
  for (const store of redisStores) await store.close();
});

const implementations: [string, () => Promise<CacheStore>][] = [
  ['memory', async () => new MemoryStore()],
  ['redis', redisStore],
];

let seq = 0;
const newId = () => `item-${Date.now()}-${seq++}`;

describe.each(implementations)('CachedResource on %s', (_name, makeStore) => {
  async function setup(options: { ttlMs?: number; negativeTtlMs?: number; beta?: number; enabled?: boolean } = {}) {
    const store = await makeStore();
    const registry = new Registry();
    const cache = new Cache(store, {
      ttlMs: options.ttlMs ?? 60_000,
      negativeTtlMs: options.negativeTtlMs ?? 30_000,
      beta: options.beta ?? 0,
      metrics: new CacheMetrics(registry),
      enabled: options.enabled,
    });
    const source = new Source();
    const items = cache.resource<string, Row>({ name: 'catalog_item', version: 1, load: source.load, codec: jsonDates });
    return { store, cache, source, items, registry };
  }

  it('when a key is read twice, then the second read is a hit with the same value and the loader ran once', async () => {
    const { source, items, registry } = await setup();
    const id = newId();
    source.put(id, 'Algebra');
    const first = await items.get(id);
    const second = await items.get(id);
    expect(first).toEqual({ id, title: 'Algebra', updated: expect.any(Date) });
    expect(second).toEqual(first);
    expect(source.loads).toEqual([[id]]);
    const gets = await registry.getSingleMetric('cache_gets_total')?.get();
    expect(gets?.values.map((v) => [v.labels.result, v.value]).sort()).toEqual([
      ['hit', 1],
      ['miss', 1],
    ]);
    const ratio = await registry.getSingleMetric('cache_hit_ratio')?.get();
    expect(ratio?.values).toEqual([{ labels: { cache: 'catalog_item' }, value: 0.5 }]);
  });

  it('when caching is off, then every read loads, nothing is stored, and values have the shape a hit would have', async () => {
    const { store, source, items } = await setup({ enabled: false });
    const id = newId();
    source.put(id, 'Topology');
    const first = await items.get(id);
    expect(await items.getMany([id, 'missing'])).toEqual(new Map([[id, first]]));
    expect(first?.updated).toBeInstanceOf(Date);
    expect(source.loads).toEqual([[id], [id, 'missing']]);
    expect(await store.readVersioned([items.keyOf(id)])).toEqual([{ value: null, token: '' }]);
  });

  it('when a key does not exist, then NOT_FOUND is cached with the short TTL and not loaded again', async () => {
    const { store, source, items } = await setup({ negativeTtlMs: 30_000 });
    const id = newId();
    expect(await items.get(id)).toBeUndefined();
    expect(await items.get(id)).toBeUndefined();
    expect(source.loads).toEqual([[id]]);
    const [read] = await store.readVersioned([items.keyOf(id)]);
    const entry = decodeEntry(read?.value ?? '');
    expect(entry?.found).toBe(false);
    expect((entry?.expiresAt ?? 0) - Date.now()).toBeLessThanOrEqual(33_000);
  });

  it('when 50 readers miss one key at once, then one load serves them all', async () => {
    const { source, items } = await setup();
    const id = newId();
    source.put(id, 'Geometry');
    source.delayMs = 20;
    const results = await Promise.all(Array.from({ length: 50 }, () => items.get(id)));
    expect(results.every((r) => r?.title === 'Geometry')).toBe(true);
    expect(source.loads).toHaveLength(1);
  });

  it('when many keys are read, then the misses are loaded in one call and the rest are hits', async () => {
    const { source, items } = await setup();
    const ids = [newId(), newId(), newId(), newId()];
    for (const id of ids.slice(0, 3)) source.put(id, `title ${id}`);
    await items.get(ids[0] as string);
    source.loads = [];
    const found = await items.getMany(ids);
    expect([...found.keys()].sort()).toEqual(ids.slice(0, 3).sort());
    expect(source.loads).toEqual([ids.slice(1)]);
    // Everything, the missing one included, is cached now.
    await items.getMany(ids);
    expect(source.loads).toHaveLength(1);
  });

  it('when a key is invalidated after a commit, then the next read loads the new value', async () => {
    const { source, items } = await setup();
    const id = newId();
    source.put(id, 'old');
    expect((await items.get(id))?.title).toBe('old');
    source.put(id, 'new');
    await items.invalidate([id]);
    expect((await items.get(id))?.title).toBe('new');
    expect((await items.get(id))?.title).toBe('new');
    expect(source.loads).toHaveLength(2);
  });

  it('when a reader loads the old row and a writer commits and invalidates before the reader caches it, then no stale entry is left', async () => {
    const { source, items } = await setup();
    const id = newId();
    source.put(id, 'old');
    const loaded = source.holdNextLoad();
    const slowReader = items.get(id);
    await loaded; // the reader has read the old row and is stalled before caching it
    source.put(id, 'new'); // the writer commits...
    await items.invalidate([id]); // ...and invalidates after commit
    const readerAfterWrite = items.get(id); // starts after the invalidation: must not join the old load
    source.release();
    expect((await slowReader)?.title).toBe('old'); // it began before the write: old is a fair answer
    expect((await readerAfterWrite)?.title).toBe('new');
    expect((await items.get(id))?.title).toBe('new');
    expect((await items.get(id))?.title).toBe('new');
  });

  it('when a value is cached, then its TTL is the configured one within ±10% jitter', async () => {
    const { store, source, items } = await setup({ ttlMs: 100_000 });
    const ids = Array.from({ length: 20 }, newId);
    for (const id of ids) source.put(id, 't');
    await items.getMany(ids);
    const reads = await store.readVersioned(ids.map((id) => items.keyOf(id)));
    const ttls = reads.map((r) => (decodeEntry(r.value ?? '')?.expiresAt ?? 0) - Date.now());
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(89_000);
      expect(ttl).toBeLessThanOrEqual(110_000);
    }
    expect(new Set(ttls.map((t) => Math.round(t / 100))).size).toBeGreaterThan(1);
    if (store instanceof RedisStore) {
      for (const id of ids) {
        const pttl = await store.client.pttl(items.keyOf(id));
        expect(pttl).toBeGreaterThan(89_000);
        expect(pttl).toBeLessThanOrEqual(110_000);
      }
    }
  });

  it('when the format version is bumped, then entries of the old version are not read', async () => {
    const { cache, source, items } = await setup();
    const id = newId();
    source.put(id, 'v1 shape');
    await items.get(id);
    const v2 = cache.resource<string, Row>({ name: 'catalog_item', version: 2, load: source.load, codec: jsonDates });
    await v2.get(id);
    expect(source.loads).toHaveLength(2);
    expect(v2.keyOf(id)).toBe(`v2:catalog_item:{${id}}`);
  });

  it('when readers keep reading a hot key across its expiry, then early refresh keeps loads to about one per expiry', async () => {
    const store = await makeStore();
    const source = new Source();
    source.delayMs = 15;
    const id = newId();
    source.put(id, 'hot');
    // Two caches on one store stand for two replicas.
    const replicas = [0, 1].map(() =>
      new Cache(store, { ttlMs: 300, negativeTtlMs: 300, beta: 1, jitter: 0.1 }).resource<string, Row>({
        name: 'catalog_item',
        version: 1,
        load: source.load,
        codec: jsonDates,
      }),
    );
    await replicas[0]?.get(id);
    source.loads = [];
    const until = Date.now() + 1_000;
    let reads = 0;
    while (Date.now() < until) {
      const batch = replicas.flatMap((r) => Array.from({ length: 10 }, () => r.get(id)));
      const values = await Promise.all(batch);
      reads += values.filter((v) => v?.title === 'hot').length;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    // About 3 expiries in a second; without protection every reader at each expiry would load.
    expect(reads).toBeGreaterThan(500);
    expect(source.loads.length).toBeGreaterThanOrEqual(2);
    expect(source.loads.length).toBeLessThanOrEqual(10);
  });
});

const jsonDates = {
  encode: (row: Row) => JSON.stringify(row),
  decode: (raw: string): Row => {
    const parsed = JSON.parse(raw) as { id: string; title: string; updated: string };
    return { ...parsed, updated: new Date(parsed.updated) };
  },
};
