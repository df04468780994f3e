import { MongoClient, ObjectId } from 'mongodb';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { ForumServiceClient } from '../../generated/campus/forum/v1/forum.js';
import { postgresEventContext } from '../../src/analytics/event-context.js';
import { EventIngest } from '../../src/analytics/event-ingest.js';
import { OutboxRelay } from '../../src/outbox/outbox-relay.js';
import { rawClient } from '../support/databases.js';
import { insertCatalogItem, insertUser, newRequestId } from '../support/fixtures.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Events that follow a committed fact are written to the outbox in the
 * fact's transaction and relayed to MongoDB at least once, stored once:
 * neither a crash before the relay nor one in the middle of it loses or
 * doubles an event.
 */

let server: TestServer;
let db: pg.Client;
let mongo: MongoClient;
let enrollments: EnrollmentServiceClient;

beforeAll(async () => {
  // No periodic relay: each test decides when (and by which relay) the outbox is relayed.
  server = await startTestServer({ OUTBOX_RELAY_INTERVAL_MS: '0', ANALYTICS_ROLLUP_INTERVAL_MS: '0' });
  db = await rawClient(server.config.databaseUrl ?? '');
  mongo = new MongoClient(server.config.mongoUrl ?? '');
  enrollments = connect(EnrollmentServiceClient, server.port);
});
afterAll(async () => {
  enrollments?.close();
  await mongo?.close();
  await db?.end();
  await server?.close();
});

const events = () => mongo.db(server.config.mongoDbName).collection('analytics_events');

/** A relay as a freshly started process would build it, over the same stores. */
function freshRelay(ingest?: EventIngest) {
  const { pg: postgres, mongo: mongoStore } = server.app.stores;
  const registry = new Registry();
  const relay = new OutboxRelay(
    postgres.em,
    mongoStore.em,
    ingest ?? new EventIngest(mongoStore.em, postgresEventContext(postgres.em), 180),
    server.app.log,
    registry,
  );
  return { relay, registry };
}

async function enrolled() {
  const userId = await insertUser(db);
  const item = await insertCatalogItem(db, { lessons: 1 });
  const enrollment = await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId: newRequestId() });
  const { rows } = await db.query<Record<string, unknown>>(`select * from outbox_events where properties->>'enrollmentId' = $1`, [
    enrollment.id,
  ]);
  return { itemId: item.id, enrollment, outbox: rows };
}

async function gauge(registry: Registry, name: string): Promise<number> {
  return (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? Number.NaN;
}

describe('outbox', () => {
  it('when an enrollment commits, then its event is in the outbox in the same transaction, not yet in MongoDB', async () => {
    const { itemId, outbox } = await enrolled();
    expect(outbox).toMatchObject([{ type: 'enrolled' }]);
    expect(await events().countDocuments({ catalogItemId: itemId })).toBe(0);
  });

  it('when the process stops between the commit and the relay, then a relay started afresh writes the event, once', async () => {
    const { itemId, outbox } = await enrolled();
    const { relay, registry } = freshRelay();

    await relay.run();
    await relay.run();

    const written = await events().find({ catalogItemId: itemId }).toArray();
    expect(written.map((e) => [e.type, e.eventId])).toEqual([['enrolled', outbox[0]?.id]]);
    expect((await db.query('select 1 from outbox_events where id = $1', [outbox[0]?.id])).rows).toEqual([]);
    expect(await gauge(registry, 'outbox_pending_events')).toBe(0);
    expect(await gauge(registry, 'outbox_relay_lag_seconds')).toBe(0);
  });

  it('when a relay dies after its MongoDB write but before its delete commits, then the next run does not write the event twice', async () => {
    const { itemId, outbox } = await enrolled();
    const row = outbox[0] as Record<string, unknown>;
    await server.app.outbox.relay.run();
    // The delete never committed: the row is back as it was.
    await db.query(
      `insert into outbox_events (id, type, user_id, catalog_item_id, lesson_id, occur_time, properties, create_time)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [row.id, row.type, row.user_id, row.catalog_item_id, row.lesson_id, row.occur_time, row.properties, row.create_time],
    );

    await freshRelay().relay.run();

    expect(await events().countDocuments({ catalogItemId: itemId })).toBe(1);
    expect(await events().countDocuments({ eventId: row.id })).toBe(1);
  });

  it('when MongoDB cannot be written, then the events stay in the outbox and the gauges show how many and how late', async () => {
    const { outbox } = await enrolled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const down = { record: async () => Promise.reject(new Error('connection refused')) } as unknown as EventIngest;
    const { relay, registry } = freshRelay(down);

    await expect(relay.run()).rejects.toThrow('connection refused');

    expect((await db.query('select 1 from outbox_events where id = $1', [outbox[0]?.id])).rows).toHaveLength(1);
    expect(await gauge(registry, 'outbox_pending_events')).toBeGreaterThanOrEqual(1);
    expect(await gauge(registry, 'outbox_relay_lag_seconds')).toBeGreaterThan(0);

    await freshRelay().relay.run();
    expect((await db.query('select 1 from outbox_events where id = $1', [outbox[0]?.id])).rows).toEqual([]);
  });

  it('when a post is written, then its pending event is in the post itself and the relay writes it once, also after a crash before unmarking', async () => {
    const forum = connect(ForumServiceClient, server.port);
    try {
      const item = await insertCatalogItem(db, { lessons: 1 });
      const thread = await call(forum.createThread, forum, {
        catalogItemId: item.id,
        authorId: server.admin.id,
        title: 'Keys?',
        body: 'Which?',
      });
      const posts = mongo.db(server.config.mongoDbName).collection('forum_posts');
      const opening = await posts.findOne({ _id: new ObjectId(thread.openingPostId) });
      expect(opening?.analyticsPendingSince).toBeInstanceOf(Date);
      expect(await events().countDocuments({ catalogItemId: item.id })).toBe(0);

      await freshRelay().relay.run();
      expect((await posts.findOne({ _id: new ObjectId(thread.openingPostId) }))?.analyticsPendingSince).toBeUndefined();
      // The unmarking never happened: the post is pending again.
      await posts.updateOne({ _id: new ObjectId(thread.openingPostId) }, { $set: { analyticsPendingSince: new Date() } });
      await freshRelay().relay.run();

      const written = await events().find({ catalogItemId: item.id }).toArray();
      expect(written.map((e) => [e.type, e.eventId, e.properties?.threadId])).toEqual([['post_created', thread.openingPostId, thread.id]]);
    } finally {
      forum.close();
    }
  });
});
