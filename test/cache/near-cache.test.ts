import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { RedisStore } from '../../src/cache/redis-store.js';

interface Row {
  readonly id: string;
  readonly title: string;
}

const stores: RedisStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

/** A replica: its own Cache and RedisStore over the shared Redis, with a near cache. */
async function replica(prefix: string, rows: Map<string, string>, nearTtlMs: number) {
  const store = new RedisStore({ url: inject('redisUrl'), keyPrefix: prefix, commandTimeoutMs: 1_000 });
  await store.connect();
  stores.push(store);
  let storeReads = 0;
  const readVersioned = store.readVersioned.bind(store);
  store.readVersioned = (keys) => {
    storeReads++;
    return readVersioned(keys);
  };
  const loads: string[] = [];
  let hold: Promise<void> | undefined;
  const cache = new Cache(store, { ttlMs: 60_000, negativeTtlMs: 5_000, nearTtlMs });
  const items = cache.resource<string, Row>({
    name: 'near_item',
    version: 1,
    load: async (ids) => {
      loads.push(...ids);
      const found = new Map(ids.flatMap((id) => (rows.has(id) ? [[id, { id, title: rows.get(id) as string }] as const] : [])));
      if (hold) await hold;
      return found;
    },
  });
  return {
    items,
    loads,
    storeReads: () => storeReads,
    holdLoads: (until: Promise<void>) => {
      hold = until;
    },
  };
}

describe('near cache', () => {
  it('when a key was read, then later reads in this process make no store round trip', async () => {
    const rows = new Map([['a', 'Algebra']]);
    const r = await replica(`test:${randomBytes(4).toString('hex')}:`, rows, 1_000);
    expect((await r.items.get('a'))?.title).toBe('Algebra');
    const reads = r.storeReads();
    for (let i = 0; i < 20; i++) expect((await r.items.get('a'))?.title).toBe('Algebra');
    expect(r.storeReads()).toBe(reads);
    expect(r.loads).toEqual(['a']);
  });

  it('when this process invalidates after a commit, then its next read is fresh at once', async () => {
    const rows = new Map([['b', 'Biology']]);
    const r = await replica(`test:${randomBytes(4).toString('hex')}:`, rows, 60_000);
    await r.items.get('b');
    rows.set('b', 'Botany');
    await r.items.invalidate(['b']);
    expect((await r.items.get('b'))?.title).toBe('Botany');
  });

  it('when another replica writes, then this one serves the old value no longer than the near TTL', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const rows = new Map([['c', 'Chemistry']]);
    const mine = await replica(prefix, rows, 300);
    const theirs = await replica(prefix, rows, 300);
    expect((await mine.items.get('c'))?.title).toBe('Chemistry');
    rows.set('c', 'Cryptography');
    await theirs.items.invalidate(['c']);
    expect((await theirs.items.get('c'))?.title).toBe('Cryptography');
    // Within the near TTL this replica may still answer from process memory...
    expect(['Chemistry', 'Cryptography']).toContain((await mine.items.get('c'))?.title);
    // ...and once it has passed, never.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await mine.items.get('c'))?.title).toBe('Cryptography');
  });

  it('when a key is invalidated while a read of it is loading, then the old value is not kept in process', async () => {
    const rows = new Map([['d', 'Databases']]);
    const r = await replica(`test:${randomBytes(4).toString('hex')}:`, rows, 60_000);
    let release: () => void = () => undefined;
    r.holdLoads(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    const stale = r.items.get('d');
    // The load has read the old row (and is held) before the write: on a busy machine 20 ms may not get it that far.
    await vi.waitUntil(() => r.loads.length > 0, { timeout: 5_000, interval: 5 });
    rows.set('d', 'Distributed systems');
    await r.items.invalidate(['d']);
    release();
    expect((await stale)?.title).toBe('Databases');
    r.holdLoads(Promise.resolve());
    expect((await r.items.get('d'))?.title).toBe('Distributed systems');
  });
});
