import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { TcpProxy } from '../support/tcp-proxy.js';

interface Row {
  readonly id: string;
  readonly title: string;
}

const BOUND_MS = 400;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** A replica with a near cache kept up to a minute while pushed invalidations reach it; `url` is its Redis. */
async function replica(
  url: string,
  prefix: string,
  rows: Map<string, string>,
  options: { enabled?: boolean; nearPushedTtlMs?: number } = {},
) {
  const store = new RedisStore({ url, keyPrefix: prefix, commandTimeoutMs: 300 });
  await store.connect();
  closers.push(() => store.close());
  let storeReads = 0;
  const readVersioned = store.readVersioned.bind(store);
  store.readVersioned = (keys) => {
    storeReads++;
    return readVersioned(keys);
  };
  const cache = new Cache(store, { ttlMs: 60_000, negativeTtlMs: 5_000, nearTtlMs: BOUND_MS, nearPushedTtlMs: 60_000, ...options });
  const items = cache.resource<string, Row>({
    name: 'pushed_item',
    version: 1,
    load: async (ids) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, { id, title: rows.get(id) as string }] as const] : []))),
  });
  return { items, storeReads: () => storeReads };
}

async function redisProxy(): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(Number(new URL(inject('redisUrl')).port));
  closers.push(() => proxy.close());
  return proxy;
}

/** Milliseconds until `mine` answers `title` for `id` (polling), or throws after `withinMs`. */
async function msUntil(read: () => Promise<Row | undefined>, title: string, withinMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    if ((await read())?.title === title) return performance.now() - start;
    await sleep(5);
  }
  throw new Error(`still not ${title} after ${withinMs} ms`);
}

const prefix = () => `test:${randomBytes(4).toString('hex')}:`;

describe('pushed invalidations', () => {
  it('when the channel works, then entries outlive the near TTL and another replica’s write shows within milliseconds', async () => {
    const p = prefix();
    const rows = new Map([['a', 'Algebra']]);
    const mine = await replica(inject('redisUrl'), p, rows);
    const theirs = await replica(inject('redisUrl'), p, rows);
    // The first heartbeat back opens the feed's session.
    await sleep(BOUND_MS);
    expect((await mine.items.get('a'))?.title).toBe('Algebra');
    const reads = mine.storeReads();
    await sleep(3 * BOUND_MS);
    expect((await mine.items.get('a'))?.title).toBe('Algebra');
    expect(mine.storeReads()).toBe(reads);

    rows.set('a', 'Analysis');
    await theirs.items.invalidate(['a']);
    expect(await msUntil(() => mine.items.get('a'), 'Analysis', BOUND_MS)).toBeLessThan(BOUND_MS / 2);
  });

  it('when the writer neither caches nor keeps copies long itself, then it still publishes what it invalidates', async () => {
    const p = prefix();
    const rows = new Map([['d', 'Dynamics']]);
    const mine = await replica(inject('redisUrl'), p, rows);
    const theirs = await replica(inject('redisUrl'), p, rows, { enabled: false, nearPushedTtlMs: 0 });
    await sleep(BOUND_MS);
    expect((await mine.items.get('d'))?.title).toBe('Dynamics');
    rows.set('d', 'Dialectics');
    await theirs.items.invalidate(['d']);
    expect(await msUntil(() => mine.items.get('d'), 'Dialectics', BOUND_MS)).toBeLessThan(BOUND_MS / 2);
  });

  it('when the channel is cut, then another replica’s write shows within the near TTL', async () => {
    const p = prefix();
    const proxy = await redisProxy();
    const rows = new Map([['b', 'Biology']]);
    const mine = await replica(`redis://127.0.0.1:${proxy.port}`, p, rows);
    const theirs = await replica(inject('redisUrl'), p, rows);
    await sleep(BOUND_MS);
    expect((await mine.items.get('b'))?.title).toBe('Biology');
    await sleep(2 * BOUND_MS);
    proxy.partition();
    rows.set('b', 'Botany');
    await theirs.items.invalidate(['b']);
    const start = performance.now();
    await msUntil(() => mine.items.get('b'), 'Botany', 3 * BOUND_MS);
    expect(performance.now() - start).toBeLessThan(BOUND_MS + 100);
    proxy.restore();
  });

  it('when the channel stalls without a word, then another replica’s write shows within the near TTL', async () => {
    const p = prefix();
    const proxy = await redisProxy();
    const rows = new Map([['c', 'Chemistry']]);
    const mine = await replica(`redis://127.0.0.1:${proxy.port}`, p, rows);
    const theirs = await replica(inject('redisUrl'), p, rows);
    await sleep(BOUND_MS);
    expect((await mine.items.get('c'))?.title).toBe('Chemistry');
    await sleep(2 * BOUND_MS);
    proxy.stall();
    const stalledAt = performance.now();
    rows.set('c', 'Cryptography');
    await theirs.items.invalidate(['c']);
    // Store reads time out (300 ms) and fall back to the loader once the entry is dropped.
    await msUntil(() => mine.items.get('c'), 'Cryptography', 4 * BOUND_MS);
    expect(performance.now() - stalledAt).toBeLessThan(BOUND_MS + 300 + 150);
    proxy.restore();
  });
});
