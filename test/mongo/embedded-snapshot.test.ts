import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Binary, BSON, Decimal128, type Document, Long, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createLogger } from '../../src/logger.js';
import { openStores, type Stores } from '../../src/stores.js';
import { createTestDatabase } from '../support/databases.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const dirs: string[] = [];
const open: Stores[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  await orm.migrator.up();
  await orm.close();
});

afterAll(async () => {
  for (const stores of open) await stores.close().catch(() => undefined);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await db?.drop();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'campus-mongo-snapshot-'));
  dirs.push(dir);
  return dir;
}

/** The stores `npm start` opens with no MONGO_URL: the embedded MongoDB, kept in `dir`. */
async function start(dir: string, intervalMs = 0): Promise<Stores> {
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    DATA_DIR: dir,
    EMBEDDED_MONGO_SNAPSHOT_INTERVAL_MS: String(intervalMs),
    ...TEST_FIELD_KEYS_ENV,
  });
  const stores = await openStores(config, createLogger('silent'));
  open.push(stores);
  return stores;
}

async function stop(stores: Stores): Promise<void> {
  open.splice(open.indexOf(stores), 1);
  await stores.close();
}

function collection(stores: Stores, name: string) {
  return stores.mongo.em.fork().getCollection<Document>(name);
}

/** A document of every type the service stores, and some it could. */
function documents() {
  const threadId = new ObjectId();
  const at = new Date('2026-11-30T10:11:12.345Z');
  return {
    forum_threads: { _id: threadId, catalogItemId: 'c1', title: 'Welcome', postCount: 2, lastActivityAt: at, createTime: at },
    forum_posts: {
      _id: new ObjectId(),
      threadId: threadId.toHexString(),
      body: 'hello',
      attributes: { tags: ['a', 'b'], nested: { depth: 2, ratio: 0.25 } },
      parentPostId: null,
      schemaVersion: 2,
      createTime: at,
      version: 1,
    },
    analytics_events: {
      _id: new ObjectId(),
      type: 'lesson_viewed',
      occurTime: at,
      expireAt: new Date(at.getTime() + 86_400_000),
      bytes: Long.fromString('1152921504606846976'),
      price: Decimal128.fromString('19.990'),
      ratio: 2.5,
      raw: new Binary(Buffer.from([0, 1, 2, 255])),
      properties: { positionSeconds: 42 },
    },
    analytics_daily_rollups: { _id: new ObjectId(), catalogItemId: 'c1', day: new Date('2026-11-30T00:00:00Z'), lessonViews: 7 },
  } satisfies Record<string, Document>;
}

describe('embedded MongoDB across restarts', () => {
  it('when the stores stop and start again on the same DATA_DIR, then threads, posts, events and rollups come back with their ids and types', async () => {
    const dir = await dataDir();
    const written = documents();
    const first = await start(dir);
    for (const [name, doc] of Object.entries(written)) await collection(first, name).insertOne(doc);
    await collection(first, 'forum_threads').updateOne({ _id: written.forum_threads._id }, { $inc: { postCount: 1 } });
    await collection(first, 'scratch').createIndex({ title: 1 }, { name: 'scratch_title_idx', sparse: true });
    await stop(first);

    const second = await start(dir);
    const thread = await collection(second, 'forum_threads').findOne({ _id: written.forum_threads._id });
    expect(thread).toEqual({ ...written.forum_threads, postCount: 3 });
    expect(thread?._id).toBeInstanceOf(ObjectId);
    expect(thread?.createTime).toBeInstanceOf(Date);
    expect(await collection(second, 'forum_posts').findOne({ _id: written.forum_posts._id })).toEqual(written.forum_posts);
    const event = await collection(second, 'analytics_events').findOne({ _id: written.analytics_events._id });
    expect(event).toEqual(written.analytics_events);
    expect(event?.bytes).toBeInstanceOf(Long);
    expect(String(event?.bytes)).toBe('1152921504606846976');
    expect(event?.price).toBeInstanceOf(Decimal128);
    expect(String(event?.price)).toBe('19.990');
    expect(event?.raw).toBeInstanceOf(Binary);
    expect(await collection(second, 'analytics_daily_rollups').findOne({ _id: written.analytics_daily_rollups._id })).toEqual(
      written.analytics_daily_rollups,
    );
    // Queries still match restored values by type: a Date range and a number.
    expect(await collection(second, 'analytics_events').countDocuments({ occurTime: { $gte: new Date('2026-11-30T00:00:00Z') } })).toBe(1);
    expect(await collection(second, 'forum_threads').countDocuments({ postCount: { $gt: 2 } })).toBe(1);
    const indexes = await collection(second, 'scratch').listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'scratch_title_idx')).toMatchObject({ key: { title: 1 }, sparse: true });
    await stop(second);
  });

  it('when it runs, then the snapshot is rewritten every interval: a crash keeps what the last one holds and loses the writes after it', async () => {
    const dir = await dataDir();
    const stores = await start(dir, 100);
    const kept = new ObjectId();
    await collection(stores, 'forum_posts').insertOne({ _id: kept, body: 'before the snapshot' });
    const file = path.join(dir, 'mongodb', 'snapshot.json');
    const deadline = Date.now() + 10_000;
    while (!(await readFile(file, 'utf8').catch(() => '')).includes(kept.toHexString())) {
      if (Date.now() > deadline) throw new Error('no snapshot holds the post');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The file is canonical Extended JSON any MongoDB tool reads.
    const snapshot = BSON.EJSON.parse(await readFile(file, 'utf8'), { relaxed: false }) as { databases: { name: string }[] };
    expect(snapshot.databases.map((d) => d.name)).toContain('campus');
    // What a crash at this moment leaves: the last snapshot, nothing written since.
    const crashed = await dataDir();
    await mkdir(path.join(crashed, 'mongodb'));
    await copyFile(file, path.join(crashed, 'mongodb', 'snapshot.json'));
    await stop(stores);

    const after = await start(crashed);
    expect(await collection(after, 'forum_posts').findOne({ _id: kept })).toEqual({ _id: kept, body: 'before the snapshot' });
    await stop(after);
    expect((await readdir(path.join(dir, 'mongodb'))).filter((f) => f !== 'snapshot.json')).toEqual([]);
  });

  it('when the snapshot cannot be read, then the start refuses, names the file, and leaves it as it was', async () => {
    const dir = await dataDir();
    await mkdir(path.join(dir, 'mongodb'));
    const file = path.join(dir, 'mongodb', 'snapshot.json');
    await writeFile(file, '{"format": "campus-data embedded MongoDB snapshot", "version": 1, "databases": [');
    await expect(start(dir)).rejects.toThrow(`embedded MongoDB snapshot ${file} cannot be read`);
    expect(await readFile(file, 'utf8')).toContain('"databases": [');
    // The refused start let DATA_DIR go again.
    await expect(readFile(path.join(dir, 'campus.lock'), 'utf8')).rejects.toThrow();
  });
});
