import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { Role } from '../../generated/campus/identity/v1/user.js';
import type { Principal } from '../../src/auth/principal.js';
import { Cache } from '../../src/cache/cache.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { CatalogItemCache } from '../../src/catalog/catalog-item.cache.js';
import { CatalogItemService } from '../../src/catalog/catalog-item.service.js';
import { LessonsCache } from '../../src/catalog/lessons.cache.js';
import { postgresOptions } from '../../src/db/postgres.js';
import { PageTokens } from '../../src/pagination/page-token.js';
import { rawClient } from '../support/databases.js';
import { type CatalogFixture, useCatalogFixture } from './catalog-fixture.js';

// The SQL the read paths send, seen through the ORM's query log on the real
// database: what a point read or a page costs is part of the contract.
let f: CatalogFixture;
let orm: MikroORM;
const queries: string[] = [];

useCatalogFixture({}, async (fixture, scope) => {
  f = fixture;
  const url = f.server.config.databaseUrl ?? '';
  orm = await MikroORM.init({
    ...postgresOptions({ url, statementTimeoutMs: 10_000, log: (m) => queries.push(m) }, () => orm.em),
    debug: ['query', 'query-params'],
  });
  // The first use checks that the database exists; that query is not a read path's.
  await orm.connect();
  scope.onClose(() => orm.close());
  await orm.em.fork().getConnection().execute('select 1');
});

/** A caller that sees unpublished items too. */
const INTERNAL: Principal = { kind: 'service', id: 'query-test', methods: ['*'] };

/** The service over `em` with caching off, so that every read reaches PostgreSQL. */
function serviceOn(em: typeof orm.em): CatalogItemService {
  const cache = new Cache(new MemoryStore(), { ttlMs: 60_000, negativeTtlMs: 1_000, enabled: false });
  return new CatalogItemService(em, new PageTokens('test'), new CatalogItemCache(cache, em), new LessonsCache(cache, em));
}

/** The SQL statements `fn` sent, without the log's decoration. */
async function sqlOf(fn: (service: CatalogItemService) => Promise<unknown>): Promise<string[]> {
  queries.length = 0;
  await fn(serviceOn(orm.em.fork()));
  return queries.filter((q) => q.startsWith('[query]')).map((q) => q.replace(/^\[query\] /, '').replace(/ \[took .*$/, ''));
}

describe('read paths', () => {
  it('when an item is read by id, then one select by primary key runs, without the search column', async () => {
    const item = await f.createItem();
    const sql = await sqlOf((s) => s.get(item.id, INTERNAL));
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/^select .* from "catalog_items" where "id" = '[^']+'$/);
    expect(sql[0]).not.toContain('search');
  });

  it('when items are read in a batch, then one select runs, without the search column', async () => {
    const items = [await f.createItem(), await f.createItem(), await f.createItem()];
    const sql = await sqlOf((s) =>
      s.batchGet(
        items.map((i) => i.id),
        INTERNAL,
      ),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).not.toContain('search');
  });

  it('when a filtered page is listed, then one keyset select runs and an index serves its order (no sort)', async () => {
    const instructorId = await f.createUser(Role.ROLE_INSTRUCTOR);
    for (let i = 0; i < 3; i++) await f.createItem({ instructorId });
    const first = await serviceOn(orm.em.fork()).list({
      pageSize: 1,
      pageToken: '',
      published: undefined,
      instructorId,
      orderBy: 'title',
    });
    const sql = await sqlOf((s) =>
      s.list({ pageSize: 1, pageToken: first.nextPageToken, published: undefined, instructorId, orderBy: 'title' }),
    );
    expect(sql).toHaveLength(1);
    const [select = ''] = sql;
    expect(select).toMatch(/where "instructor_id" = '[^']+'::uuid and \("title", "id"\) > \(.*\) order by "title" asc, "id" asc limit 2$/);
    expect(select).not.toContain('search');

    const db = await rawClient(f.server.config.databaseUrl ?? '');
    try {
      // Few rows make a sequential scan cheapest; forbid it to see which index the shape can use.
      await db.query('set enable_seqscan = off');
      const plan = (await db.query<{ 'QUERY PLAN': string }>(`explain ${select}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('catalog_items_instructor_title_idx');
      expect(plan).not.toMatch(/\bSort\b/);
    } finally {
      await db.end();
    }
  });
});
