import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { Cache } from '../../src/cache/cache.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { type OwnCatalogFixture, startCatalogFixture } from '../catalog/catalog-fixture.js';
import { call, connect, failure } from '../support/grpc.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Two replicas of the service (one database) over a 3-master Redis Cluster
// with a replica per master; the last test kills a master.
const NEAR_TTL_MS = 300;
let cluster: RedisCluster;
let a: OwnCatalogFixture;
let b: TestServer;
let bCatalog: CatalogServiceClient;
const stores: RedisStore[] = [];

beforeAll(async () => {
  cluster = await RedisCluster.start();
  const env = {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    CACHE_NEAR_TTL_MS: String(NEAR_TTL_MS),
  };
  a = await startCatalogFixture(env);
  b = await startTestServer({ ...env, DATABASE_URL: a.server.config.databaseUrl ?? '' });
  bCatalog = connect(CatalogServiceClient, b.port);
}, 90_000);

afterAll(async () => {
  bCatalog?.close();
  for (const store of stores) await store.close();
  await b?.close();
  await a?.close();
  await cluster?.stop();
});

const getOn = (client: CatalogServiceClient, id: string) => call(client.getCatalogItem, client, { id });
const batchGetOn = (client: CatalogServiceClient, ids: string[]) => call(client.batchGetCatalogItems, client, { ids });
const prefix = () => a.server.config.redisKeyPrefix;
const itemKey = (id: string) => `${prefix()}v1:catalog_item:{${id}}`;

/** Items written straight into the database: what the cache has never seen. */
async function insertItems(count: number, title: string): Promise<string[]> {
  const rows = await a.sql<{ id: string }>(
    `insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time)
     select gen_random_uuid(), $1 || g, 'bulk', 100, 'EUR', true, now(), now() from generate_series(1, $2::int) g returning id`,
    [title, count],
  );
  return rows.map((r) => r.id);
}

async function onNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Counts the pipelines (round trips) a store sends from now on. */
function countRoundTrips(store: RedisStore): { readonly count: () => number; stop(): void } {
  const client = store.client;
  const original = client.pipeline;
  let trips = 0;
  client.pipeline = function (this: typeof client, ...args: Parameters<typeof original>) {
    const pipe = original.apply(this, args);
    const exec = pipe.exec.bind(pipe);
    pipe.exec = (...execArgs: Parameters<typeof exec>) => {
      trips++;
      return exec(...execArgs);
    };
    return pipe;
  } as typeof original;
  return {
    count: () => trips,
    stop: () => {
      client.pipeline = original;
    },
  };
}

describe('the cache on a Redis Cluster', () => {
  it('when one replica read an item, then the other is served the copy held at the master of its slot', async () => {
    const [id] = (await insertItems(1, 'Shared')) as [string];
    expect((await getOn(a.client, id)).title).toBe('Shared1');
    const master = await cluster.masterOf(itemKey(id));
    expect(await onNode(master, (redis) => redis.exists(itemKey(id)))).toBe(1);
    await a.sql("update catalog_items set title = 'Changed behind the cache' where id = $1", [id]);
    // b never read it: its answer comes from the cluster, not from its process or the database.
    expect((await getOn(bCatalog, id)).title).toBe('Shared1');
  });

  it('when 1000 ids spread over every master are read in one BatchGet, then each node is asked once, not each key', async () => {
    const ids = await insertItems(1000, 'Bulk');
    const masterOf = await cluster.masters();
    const masters = new Set(ids.map((id) => masterOf(itemKey(id))));
    expect(masters.size).toBe(3);
    const store = b.app.cache.store as RedisStore;

    const cold = countRoundTrips(store);
    const coldStart = performance.now();
    const first = await batchGetOn(bCatalog, ids);
    const coldMs = performance.now() - coldStart;
    cold.stop();
    expect(first.catalogItems.map((item) => item.id)).toEqual(ids);
    // One read per node, then one conditional write-back per node.
    expect(cold.count()).toBe(2 * masters.size);

    const warm = countRoundTrips(a.server.app.cache.store as RedisStore);
    const warmStart = performance.now();
    const second = await batchGetOn(a.client, ids);
    const warmMs = performance.now() - warmStart;
    warm.stop();
    expect(second.catalogItems.map((item) => item.title)).toEqual(first.catalogItems.map((item) => item.title));
    expect(warm.count()).toBe(masters.size);
    console.info(
      `BatchGet of 1000 ids on 3 masters: cold ${cold.count()} round trips in ${coldMs.toFixed(0)} ms, warm ${warm.count()} in ${warmMs.toFixed(0)} ms`,
    );
  });

  it('when an item is updated on one replica, then the other shows it within CACHE_NEAR_TTL_MS and the writer at once', async () => {
    const item = await a.createItem({ title: 'Before' });
    expect((await getOn(bCatalog, item.id)).title).toBe('Before');
    const updated = await call(a.client.updateCatalogItem, a.client, {
      catalogItem: { ...item, title: 'After' },
      updateMask: ['title'],
    });
    const writtenAt = performance.now();
    expect(await getOn(a.client, item.id)).toEqual(updated);
    while ((await getOn(bCatalog, item.id)).title !== 'After') {
      expect(performance.now() - writtenAt).toBeLessThan(NEAR_TTL_MS + 700);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(a.server.app.cache.pendingInvalidations + b.app.cache.pendingInvalidations).toBe(0);
  });

  it('when invalidations are pushed over the cluster, then a copy outlives the near TTL and another replica’s write shows within milliseconds', async () => {
    const item = await a.createItem({ title: 'Pushed before' });
    expect((await getOn(bCatalog, item.id)).title).toBe('Pushed before');
    await new Promise((resolve) => setTimeout(resolve, 2 * NEAR_TTL_MS));
    // Changed behind the cache: B still answers from its copy, past the near TTL.
    await a.sql("update catalog_items set title = 'Behind the cache' where id = $1", [item.id]);
    expect((await getOn(bCatalog, item.id)).title).toBe('Pushed before');
    await call(a.client.updateCatalogItem, a.client, { catalogItem: { ...item, title: 'Pushed after' }, updateMask: ['title'] });
    const writtenAt = performance.now();
    while ((await getOn(bCatalog, item.id)).title !== 'Pushed after') {
      expect(performance.now() - writtenAt).toBeLessThan(NEAR_TTL_MS / 2);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });

  it('when an item is deleted, then both replicas answer NOT_FOUND once the near TTL has passed', async () => {
    const item = await a.createItem({ title: 'Gone soon' });
    const read = await getOn(bCatalog, item.id);
    await call(a.client.deleteCatalogItem, a.client, { id: item.id, etag: read.etag });
    expect((await failure(getOn(a.client, item.id))).code).toBe(status.NOT_FOUND);
    await new Promise((resolve) => setTimeout(resolve, NEAR_TTL_MS + 50));
    expect((await failure(getOn(bCatalog, item.id))).code).toBe(status.NOT_FOUND);
  });

  it('when a replica loads old rows across slots and another invalidates them meanwhile, then none of the old values is cached', async () => {
    const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
    const rows = new Map<string, string>();
    const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    for (const id of ids) rows.set(id, 'old');
    let hold: Promise<void> | undefined;
    let loaded: () => void = () => undefined;
    const loadedOld = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const replica = async () => {
      const store = new RedisStore({
        cluster: { nodes: clusterNodes(), natMap: {}, failoverWaitMs: 0 },
        keyPrefix,
        commandTimeoutMs: 1_000,
      });
      await store.connect();
      stores.push(store);
      const cache = new Cache(store, { ttlMs: 60_000, negativeTtlMs: 5_000, beta: 0 });
      return cache.resource<string, string>({
        name: 'race_item',
        version: 1,
        load: async (keys) => {
          const found = new Map(keys.map((id) => [id, rows.get(id) as string]));
          loaded();
          if (hold) await hold;
          return found;
        },
      });
    };
    const [reader, writer, later] = [await replica(), await replica(), await replica()];
    let release: () => void = () => undefined;
    hold = new Promise((resolve) => {
      release = resolve;
    });
    const slow = reader.getMany(ids);
    await loadedOld;
    for (const id of ids) rows.set(id, 'new');
    await writer.invalidate(ids);
    hold = undefined;
    release();
    expect([...(await slow).values()].every((v) => v === 'old')).toBe(true);
    const fresh = await later.getMany(ids);
    expect(ids.map((id) => fresh.get(id))).toEqual(ids.map(() => 'new'));
  });

  it('when the nodes announce addresses the service cannot reach, then REDIS_CLUSTER_NAT_MAP routes it to the mapped ones', async () => {
    const proxies = await Promise.all(cluster.ports.map(async (port) => ({ port, proxy: await TcpProxy.start(port) })));
    try {
      const natMap = Object.fromEntries(proxies.map(({ port, proxy }) => [`127.0.0.1:${port}`, { host: '127.0.0.1', port: proxy.port }]));
      const seeds = proxies.slice(0, 2).map(({ proxy }) => ({ host: '127.0.0.1', port: proxy.port }));
      const store = new RedisStore({
        cluster: { nodes: seeds, natMap, failoverWaitMs: 0 },
        keyPrefix: `test:${randomBytes(4).toString('hex')}:`,
        commandTimeoutMs: 1_000,
      });
      await store.connect();
      stores.push(store);
      const keys = Array.from({ length: 100 }, (_, i) => `v1:nat:{${i}}`);
      await store.invalidate(keys, 60_000);
      expect((await store.readVersioned(keys)).every((read) => read.value === null && read.token !== '')).toBe(true);
      expect(await store.ping()).toBe(true);
      // Every connection goes through the mapped addresses: cut them, and the store is cut off.
      for (const { proxy } of proxies) proxy.partition();
      await expect(store.mget(keys)).rejects.toThrow();
    } finally {
      for (const { proxy } of proxies) await proxy.close();
    }
  });

  it('when no replica confirms an invalidation in time, then it is remembered, read from the source meanwhile, and replayed', async () => {
    const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
    const store = new RedisStore({ cluster: { nodes: clusterNodes(), natMap: {}, failoverWaitMs: 0 }, keyPrefix, commandTimeoutMs: 1_000 });
    await store.connect();
    stores.push(store);
    const rows = new Map([['w', 'old']]);
    let loads = 0;
    const cache = new Cache(store, { ttlMs: 60_000, negativeTtlMs: 5_000, beta: 0, replayIntervalMs: 100 });
    const items = cache.resource<string, string>({
      name: 'wait_item',
      version: 1,
      load: async (keys) => {
        loads++;
        return new Map(keys.map((id) => [id, rows.get(id) as string]));
      },
    });
    expect(await items.get('w')).toBe('old');
    const replica = await cluster.replicaOf(await cluster.masterOf(`${keyPrefix}v1:wait_item:{w}`));
    rows.set('w', 'new');
    cluster.pause(replica);
    try {
      await items.invalidate(['w']);
      expect(cache.pendingInvalidations).toBe(1);
      const before = loads;
      expect(await items.get('w')).toBe('new');
      expect(loads).toBe(before + 1);
    } finally {
      cluster.resume(replica);
    }
    const deadline = Date.now() + 5_000;
    while (cache.pendingInvalidations > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cache.pendingInvalidations).toBe(0);
    expect(await items.get('w')).toBe('new');
    cache.close();
  });

  it('when the cluster is down as a store connects, then connecting ends once the cluster is back, and the store serves', async () => {
    const master = await cluster.masterOf('{down}');
    const replica = await cluster.replicaOf(master);
    const [seed] = cluster.ports.filter((port) => port !== master && port !== replica) as [number];
    cluster.pause(master);
    cluster.pause(replica);
    const store = new RedisStore({
      cluster: { nodes: [{ host: '127.0.0.1', port: seed }], natMap: {}, failoverWaitMs: 0 },
      keyPrefix: `test:${randomBytes(4).toString('hex')}:`,
      commandTimeoutMs: 1_000,
    });
    stores.push(store);
    let connecting: Promise<'connected' | 'pending'> | undefined;
    try {
      await cluster.waitUntilDown(seed);
      // Its ready check finds the cluster failing, and it reconnects.
      const reconnecting = new Promise((resolve) => store.client.once('reconnecting', resolve));
      connecting = store.connect().then(() => 'connected' as const);
      await reconnecting;
    } finally {
      cluster.resume(master);
      cluster.resume(replica);
    }
    await cluster.waitUntilHealthy();
    const settled = await Promise.race([connecting, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 10_000))]);
    expect(settled).toBe('connected');
    expect(await store.ping()).toBe(true);
  }, 60_000);

  it('when a master is killed under read load, then its replica takes over and not one read fails', async () => {
    const ids = await insertItems(60, 'Load');
    await batchGetOn(a.client, ids);
    const victim = await cluster.masterOf(itemKey(ids[0] as string));
    let reads = 0;
    const failures: unknown[] = [];
    const latencies: number[] = [];
    let running = true;
    const reader = async (client: CatalogServiceClient, seed: number) => {
      for (let i = seed; running; i++) {
        const started = performance.now();
        try {
          if (i % 5 === 0) await batchGetOn(client, ids.slice(i % 40, (i % 40) + 20));
          else await getOn(client, ids[i % ids.length] as string);
          reads++;
        } catch (err) {
          failures.push(err);
        }
        latencies.push(performance.now() - started);
      }
    };
    const readers = [reader(a.client, 0), reader(a.client, 7), reader(bCatalog, 3), reader(bCatalog, 11)];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = performance.now();
    await cluster.kill(victim);
    await cluster.waitUntilHealthy();
    const failedOverMs = performance.now() - killedAt;
    // Keep reading until both replicas use the new master again.
    const store = a.server.app.cache.store as RedisStore;
    while (!(await store.ping()) || !(await (b.app.cache.store as RedisStore).ping()))
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    running = false;
    await Promise.all(readers);
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(50);
    // The slot is served by the promoted replica, and cached there again. An id read before may stay in
    // the near cache (pushed invalidations keep it up to CACHE_NEAR_PUSHED_TTL_MS), never asking Redis:
    // so ids the cache has never seen, on the promoted master's slots.
    const newMaster = await cluster.masterOf(itemKey(ids[0] as string));
    expect(newMaster).not.toBe(victim);
    const masterOfKey = await cluster.masters();
    const fresh = (await insertItems(60, 'After failover')).filter((id) => masterOfKey(itemKey(id)) === newMaster);
    expect(fresh.length).toBeGreaterThan(0);
    // A read that meets the cluster still settling skips its fill (it could not read the key's generation); a later one fills.
    let next = 0;
    await expect
      .poll(
        async () => {
          const id = fresh[next++ % fresh.length] as string;
          await getOn(a.client, id);
          return onNode(newMaster, (redis) => redis.exists(itemKey(id)));
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    latencies.sort((x, y) => x - y);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
    console.info(
      `failover: ${failedOverMs.toFixed(0)} ms to cluster_state:ok; ${reads} reads, 0 failed; p50 ${latencies[Math.floor(latencies.length / 2)]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`,
    );
  }, 60_000);
});

function clusterNodes() {
  return cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) }));
}
