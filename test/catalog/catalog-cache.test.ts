import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../generated/campus/catalog/v1/catalog.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { CACHED_LESSONS } from '../../src/catalog/lessons.cache.js';
import { anonymous, call, failure } from '../support/grpc.js';
import { type CatalogFixture, useCatalogFixture } from './catalog-fixture.js';

// Every cached catalog read, then a write through the API, then the read again:
// it must show the write. Each read before the write fills the cache (a miss
// writes back before it answers), so a missing invalidation fails the test.
let f: CatalogFixture;
let users: UserServiceClient;

useCatalogFixture({}, (s, scope) => {
  f = s;
  users = scope.connect(UserServiceClient);
});

const get = (id: string, metadata = undefined as Parameters<typeof call>[3]) => call(f.client.getCatalogItem, f.client, { id }, metadata);
const batchGet = (ids: string[]) => call(f.client.batchGetCatalogItems, f.client, { ids });
const listLessons = (catalogItemId: string, pageSize = 0, pageToken = '', metadata = undefined as Parameters<typeof call>[3]) =>
  call(f.client.listLessons, f.client, { catalogItemId, pageSize, pageToken }, metadata);
const update = (catalogItem: Partial<CatalogItem> & { id: string }, updateMask: string[]) =>
  call(f.client.updateCatalogItem, f.client, {
    catalogItem: { title: '', description: '', published: false, instructorId: '', etag: '', ...catalogItem },
    updateMask,
  });
const titles = async (itemId: string) => (await listLessons(itemId)).lessons.map((l) => l.title);

let seq = 0;
/** A user made through the API, signed in. */
async function signedIn(role: Role) {
  const email = `cache-${Date.now()}-${seq++}@example.test`;
  const password = 'correct horse battery';
  const user = await call(users.createUser, users, { user: { id: '', name: 'Reader', email, role, etag: '' }, password });
  return { id: user.id, metadata: await f.server.signIn(email, password) };
}

describe('GetCatalogItem through the cache', () => {
  it('when the row changes behind the service, then the cached copy is served: reads are cached', async () => {
    const item = await f.createItem({ title: 'Cached' });
    await get(item.id);
    await f.sql("update catalog_items set title = 'Changed behind the cache' where id = $1", [item.id]);
    expect((await get(item.id)).title).toBe('Cached');
  });

  it('when an item is updated, then the next read shows the update', async () => {
    const item = await f.createItem({ title: 'Before' });
    expect((await get(item.id)).title).toBe('Before');
    const updated = await update({ id: item.id, title: 'After' }, ['title']);
    expect(await get(item.id)).toEqual(updated);
  });

  it('when an item is published and unpublished, then each next read shows it', async () => {
    const item = await f.createItem();
    await f.createLesson(item.id);
    expect((await get(item.id)).published).toBe(false);
    await call(f.client.publishCatalogItem, f.client, { id: item.id });
    expect((await get(item.id)).published).toBe(true);
    await call(f.client.unpublishCatalogItem, f.client, { id: item.id });
    expect((await get(item.id)).published).toBe(false);
  });

  it('when an item is deleted, then the next read is NOT_FOUND, and so are its lessons', async () => {
    const item = await f.createItem();
    await f.createLesson(item.id, { title: 'Gone soon' });
    const read = await get(item.id);
    expect(await titles(item.id)).toEqual(['Gone soon']);
    await call(f.client.deleteCatalogItem, f.client, { id: item.id, etag: read.etag });
    expect((await failure(get(item.id))).code).toBe(status.NOT_FOUND);
    expect((await failure(listLessons(item.id))).code).toBe(status.NOT_FOUND);
  });

  it('when items are read in a batch after one of them changed, then the batch shows the change, in the order asked', async () => {
    const [a, b, c] = [await f.createItem({ title: 'A' }), await f.createItem({ title: 'B' }), await f.createItem({ title: 'C' })];
    const ids = [c.id, a.id, b.id, a.id].map((id) => id as string);
    await get(a.id);
    expect((await batchGet(ids)).catalogItems.map((i) => i.title)).toEqual(['C', 'A', 'B', 'A']);
    await update({ id: b.id, title: 'B2' }, ['title']);
    const again = await batchGet(ids);
    expect(again.catalogItems.map((i) => i.title)).toEqual(['C', 'A', 'B2', 'A']);
    expect(again.catalogItems[1]).toEqual(await get(a.id));
  });

  it('when a hit and a miss are compared, then they return the same message', async () => {
    const item = await f.createItem({ price: { currencyCode: 'JPY', amountMinor: 9_007_199_254_740_993n } });
    const miss = await get(item.id);
    const hit = await get(item.id);
    expect(hit).toEqual(miss);
    expect(hit.price?.amountMinor).toBe(9_007_199_254_740_993n);
    expect(hit.createTime).toBeInstanceOf(Date);
  });
});

describe('visibility of cached items', () => {
  it('when an admin read an unpublished item into the cache, then anonymous callers and other users still get NOT_FOUND', async () => {
    const item = await f.createItem();
    await f.createLesson(item.id);
    await get(item.id);
    await listLessons(item.id);
    const student = await signedIn(Role.ROLE_STUDENT);
    const other = await signedIn(Role.ROLE_INSTRUCTOR);
    // Fresh metadata per call: the anonymous mark is consumed by the call that carries it.
    for (const metadata of [anonymous, () => student.metadata, () => other.metadata]) {
      expect((await failure(get(item.id, metadata()))).code).toBe(status.NOT_FOUND);
      expect((await failure(listLessons(item.id, 0, '', metadata()))).code).toBe(status.NOT_FOUND);
    }
    const batch = await failure(call(f.client.batchGetCatalogItems, f.client, { ids: [item.id] }, anonymous()));
    expect(batch.code).toBe(status.NOT_FOUND);
  });

  it('when the item is unpublished, then its instructor sees it; once published, everyone does', async () => {
    const teacher = await signedIn(Role.ROLE_INSTRUCTOR);
    const item = await f.createItem({ instructorId: teacher.id });
    await f.createLesson(item.id);
    expect((await get(item.id, teacher.metadata)).id).toBe(item.id);
    expect((await failure(get(item.id, anonymous()))).code).toBe(status.NOT_FOUND);
    await call(f.client.publishCatalogItem, f.client, { id: item.id });
    expect((await get(item.id, anonymous())).published).toBe(true);
    expect((await listLessons(item.id, 0, '', anonymous())).lessons).toHaveLength(1);
  });
});

describe('ListLessons through the cache', () => {
  it('when a lesson is created, updated or deleted, then the next list shows it', async () => {
    const item = await f.createItem();
    const one = await f.createLesson(item.id, { title: 'one', position: 1 });
    expect(await titles(item.id)).toEqual(['one']);

    const two = await f.createLesson(item.id, { title: 'two', position: 2 });
    expect(await titles(item.id)).toEqual(['one', 'two']);

    await call(f.client.updateLesson, f.client, {
      lesson: { id: one.id, catalogItemId: '', title: '', position: 3, etag: '' },
      updateMask: ['position'],
    });
    expect(await titles(item.id)).toEqual(['two', 'one']);

    await call(f.client.deleteLesson, f.client, { id: two.id, etag: '' });
    expect(await titles(item.id)).toEqual(['one']);
  });

  it('when the item has more lessons than are cached, then pages past them come from the database and agree', async () => {
    const item = await f.createItem();
    const total = CACHED_LESSONS + 5;
    await f.sql(
      `insert into lessons (id, catalog_item_id, title, position, create_time, update_time)
       select gen_random_uuid(), $1, 'L' || g, g, now(), now() from generate_series(1, $2::int) g`,
      [item.id, total],
    );
    const positions: number[] = [];
    let token = '';
    do {
      const page = await listLessons(item.id, 30, token);
      positions.push(...page.lessons.map((l) => l.position));
      token = page.nextPageToken;
    } while (token !== '');
    expect(positions).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // The whole list in one page reaches past the cached lessons.
    expect((await listLessons(item.id, 1000)).lessons).toHaveLength(total);
  });
});

describe('GetCatalogItem under concurrent updates', () => {
  it('when updates race with reads, then no read that starts after an update answered returns an older version', async () => {
    const item = await f.createItem({ title: 'v0' });
    let acknowledged = 1; // the highest version whose UpdateCatalogItem has answered
    let writing = true;
    const stale: string[] = [];
    let reads = 0;

    const writer = async (name: string) => {
      for (let i = 0; i < 15; ) {
        // No etag; the two writers still collide on the row version now and then (ABORTED): try again.
        const updated = await update({ id: item.id, title: `${name}-${i}` }, ['title']).catch((err: { code?: number }) => {
          if (err.code === status.ABORTED) return undefined;
          throw err;
        });
        if (updated === undefined) continue;
        acknowledged = Math.max(acknowledged, Number(updated.etag));
        i++;
      }
    };
    const reader = async () => {
      while (writing) {
        const floor = acknowledged;
        const read = await get(item.id);
        reads++;
        if (Number(read.etag) < floor) stale.push(`read version ${read.etag} after version ${floor} was acknowledged`);
      }
    };

    const readers = Array.from({ length: 4 }, reader);
    try {
      await Promise.all([writer('a'), writer('b')]);
    } finally {
      writing = false;
      await Promise.all(readers);
    }

    expect(stale).toEqual([]);
    expect(reads).toBeGreaterThan(30);
    expect(Number((await get(item.id)).etag)).toBe(31);
  });
});
