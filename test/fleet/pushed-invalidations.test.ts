import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { type OwnCatalogFixture, startCatalogFixture } from '../catalog/catalog-fixture.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Two replicas of the service on one PostgreSQL and one Redis key prefix, each
// keeping what it read in process for up to a minute while the invalidations
// pushed over Redis reach it; the bound on another replica's write is 1 s.
const NEAR_TTL_MS = 1_000;
let a: OwnCatalogFixture;
let b: TestServer;
let bItems: CatalogServiceClient;

beforeAll(async () => {
  a = await startCatalogFixture({ CACHE_NEAR_TTL_MS: String(NEAR_TTL_MS), CACHE_NEAR_PUSHED_TTL_MS: '60000' });
  b = await startTestServer({
    DATABASE_URL: a.server.config.databaseUrl ?? '',
    REDIS_KEY_PREFIX: a.server.config.redisKeyPrefix,
    CACHE_NEAR_TTL_MS: String(NEAR_TTL_MS),
    CACHE_NEAR_PUSHED_TTL_MS: '60000',
  });
  bItems = connect(CatalogServiceClient, b.port);
});
afterAll(async () => {
  bItems?.close();
  await b?.close();
  await a?.close();
});

describe('two replicas with pushed invalidations', () => {
  it('when one replica updates an item the other holds in process past the near TTL, then the other shows it well within that TTL', async () => {
    const item = await a.createItem({ title: 'Before' });
    expect((await call(bItems.getCatalogItem, bItems, { id: item.id })).title).toBe('Before');
    // Past the near TTL: without the pushed invalidation B would still serve its copy for up to a minute.
    await sleep(NEAR_TTL_MS + 200);
    await a.sql("update catalog_items set title = 'Behind the cache' where id = $1", [item.id]);
    expect((await call(bItems.getCatalogItem, bItems, { id: item.id })).title).toBe('Before');

    await call(a.client.updateCatalogItem, a.client, {
      catalogItem: { id: item.id, title: 'After', description: '', published: false, instructorId: '', etag: '' },
      updateMask: ['title'],
    });
    const start = performance.now();
    let title = '';
    while (performance.now() - start < NEAR_TTL_MS) {
      title = (await call(bItems.getCatalogItem, bItems, { id: item.id })).title;
      if (title === 'After') break;
      await sleep(5);
    }
    expect(title).toBe('After');
    expect(performance.now() - start).toBeLessThan(NEAR_TTL_MS / 4);
  });
});
