import { randomBytes } from 'node:crypto';
import { MongoClient, MongoServerError, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsServiceClient, EventType } from '../../generated/campus/analytics/v1/analytics.js';
import { ThreadSchema } from '../../src/forum/thread.entity.js';
import { CampusRows } from '../support/campus-rows.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * What the in-process stand-in cannot show: unique indexes, TTL expiry,
 * `$merge`, transaction rollback. Run against a real replica set:
 *   MONGO_URL='mongodb://127.0.0.1:27017/?replicaSet=rs0' npx vitest run test/mongo-real
 */
const MONGO_URL = process.env.MONGO_URL;

describe.skipIf(!MONGO_URL)('on a real MongoDB replica set', () => {
  let server: TestServer;
  let mongo: MongoClient;
  let rows: CampusRows;
  const dbName = `campus_test_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    server = await startTestServer({ MONGO_URL: MONGO_URL ?? '', MONGO_DB: dbName, ANALYTICS_ROLLUP_INTERVAL_MS: '0' });
    mongo = new MongoClient(MONGO_URL ?? '');
    rows = await CampusRows.open(server.config.databaseUrl ?? '');
  });
  afterAll(async () => {
    await mongo?.db(dbName).dropDatabase();
    await mongo?.close();
    await rows?.close();
    await server?.close();
  });

  it('when a second rollup with the same item and day is inserted, then the unique index refuses it', async () => {
    const rollups = mongo.db(dbName).collection('analytics_daily_rollups');
    const doc = { catalogItemId: 'x', day: new Date('2026-01-01T00:00:00Z'), activeLearners: 1 };
    await rollups.insertOne({ ...doc });
    const err = await rollups.insertOne({ ...doc }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
  });

  it('when the rollup job runs twice, then $merge writes each day once with recomputed figures', async () => {
    const item = await rows.catalogItem(await rows.user('instructor'));
    const users = [await rows.user(), await rows.user()];
    const analytics = connect(AnalyticsServiceClient, server.port);
    try {
      const occurTime = new Date(Date.now() - 60_000);
      await call(analytics.recordEvents, analytics, {
        events: users.map((userId) => ({
          type: EventType.EVENT_TYPE_LESSON_COMPLETED,
          userId,
          catalogItemId: item,
          lessonId: '',
          occurTime,
          properties: {},
        })),
      });
      await server.app.analytics.rollups.run();
      await server.app.analytics.rollups.run();
      const stored = await mongo.db(dbName).collection('analytics_daily_rollups').find({ catalogItemId: item }).toArray();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ activeLearners: 2, lessonsCompleted: 2 });
    } finally {
      analytics.close();
    }
  });

  it('when a transaction fails half-way, then nothing of it is written', async () => {
    const em = server.app.stores.mongo.em.fork();
    const id = new ObjectId();
    const now = new Date();
    await expect(
      em.transactional(async (tx) => {
        tx.create(ThreadSchema, {
          _id: id,
          id: id.toHexString(),
          catalogItemId: 'x',
          authorId: 'y',
          title: 't',
          openingPostId: '',
          postCount: 0,
          lastActivityAt: now,
          createTime: now,
        });
        await tx.flush();
        throw new Error('second write failed');
      }),
    ).rejects.toThrow('second write failed');
    expect(await mongo.db(dbName).collection('forum_threads').findOne({ _id: id })).toBeNull();
  });

  it('when an event is past its expiry, then the TTL monitor removes it (within about a minute)', async () => {
    const events = mongo.db(dbName).collection('analytics_events');
    const _id = new ObjectId();
    await events.insertOne({
      _id,
      catalogItemId: 'x',
      occurTime: new Date(0),
      receiveTime: new Date(0),
      expireAt: new Date(Date.now() - 1_000),
    });
    const deadline = Date.now() + 130_000;
    while (Date.now() < deadline && (await events.findOne({ _id }))) await new Promise((r) => setTimeout(r, 2_000));
    expect(await events.findOne({ _id })).toBeNull();
  }, 150_000);
});
