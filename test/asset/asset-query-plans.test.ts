import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { AssetServiceClient } from '../../generated/campus/asset/v1/asset.js';
import { runInRequestScope } from '../../src/db/request-scope.js';
import { rawClient } from '../support/databases.js';
import { call, connect } from '../support/grpc.js';
import { type CapturedQuery, explain, installQueryCapture } from '../support/query-capture.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * Every list and lookup of assets, EXPLAINed as issued over 100k asset rows
 * spread over 200 items: each one is served by an index, never by a
 * sequential scan of `assets`.
 */

const capture = installQueryCapture();
let server: TestServer;
let db: pg.Client;
const ids = { item: '', lesson: '', asset: '', material: '' };

useTestServer({ env: { ASSET_SWEEP_INTERVAL_MS: '0' }, hookTimeoutMs: 180_000 }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await db?.end();
    capture.uninstall();
  });
  db = await rawClient(server.config.databaseUrl ?? '');
  await db.query(`insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time)
    select gen_random_uuid(), 'Course ' || i, 'About', 0, 'EUR', true, now(), now() from generate_series(1, 200) i`);
  await db.query(`insert into lessons (id, catalog_item_id, title, position, create_time, update_time)
    select gen_random_uuid(), c.id, 'Lesson', p, now(), now() from catalog_items c, generate_series(1, 5) p`);
  await db.query(`insert into assets (id, catalog_item_id, lesson_id, kind, content_type, size_bytes, sha256, object_key, status, create_time, update_time)
    select x.id, x.catalog_item_id, x.lesson_id, 'image', 'image/png', 100, x.sha, 'private/' || x.sha || '/' || x.id || '.png',
           (array['pending', 'ready', 'ready', 'deleted'])[1 + (x.n % 4)], now() - (x.n || ' seconds')::interval, now()
    from (select gen_random_uuid() id, l.catalog_item_id, l.id lesson_id, encode(sha256(g::text::bytea || l.id::text::bytea), 'hex') sha, g n
          from lessons l, generate_series(1, 100) g) x`);
  await db.query('analyze');
  const one = async (sql: string) => (await db.query<{ id: string }>(sql)).rows[0]?.id ?? '';
  ids.lesson = await one('select id from lessons order by id limit 1');
  ids.item = await one(`select catalog_item_id id from lessons where id = '${ids.lesson}'`);
  ids.material = await one(`select id from assets where lesson_id = '${ids.lesson}' and status = 'ready' limit 1`);
  ids.asset = uuidv7();
});

describe('asset query plans over 100k rows', () => {
  it('when every asset list and lookup runs, then none reads assets by a sequential scan', async () => {
    const assets = connect(AssetServiceClient, server.port);
    const queries: CapturedQuery[] = await capture.record(async () => {
      await call(assets.getAsset, assets, { id: ids.material });
      await call(assets.getAssetUrl, assets, { id: ids.material });
      const page = await call(assets.listAssets, assets, { catalogItemId: ids.item, lessonId: '', pageSize: 20, pageToken: '' });
      expect(page.nextPageToken).not.toBe('');
      await call(assets.listAssets, assets, { catalogItemId: ids.item, lessonId: '', pageSize: 20, pageToken: page.nextPageToken });
      await call(assets.listAssets, assets, { catalogItemId: ids.item, lessonId: ids.lesson, pageSize: 20, pageToken: '' });
      expect((await call(assets.batchGetAssetUrls, assets, { lessonId: ids.lesson })).urls.length).toBe(50);
      await runInRequestScope(undefined, () => server.app.assets.service.sweepPending(new Date(Date.now() - 86_400_000), 100));
    });
    assets.close();
    const reads = queries.filter(
      (q) => /^\s*(select|with)\b/i.test(q.text) && /\bassets\b/.test(q.text) && !/group by status/.test(q.text),
    );
    expect(reads.length).toBeGreaterThanOrEqual(7);
    const offenders: string[] = [];
    for (const q of reads) {
      const plan = await explain(db, q);
      if (plan.seqScans.includes('assets')) offenders.push(q.text);
    }
    expect(offenders).toEqual([]);
  }, 120_000);
});
