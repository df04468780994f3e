import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * Every query the service sends to MongoDB, as data: equality fields, then
 * at most one range field, then the sort. Kept next to the code that runs
 * them (repositories, rollup job, analytics service); a new query adds a row.
 */
interface QueryShape {
  readonly collection: string;
  readonly name: string;
  readonly equals: readonly string[];
  readonly range?: string;
  readonly sort?: readonly (readonly [string, 1 | -1])[];
}

const QUERIES: QueryShape[] = [
  { collection: 'forum_threads', name: 'GetThread', equals: ['_id'] },
  {
    collection: 'forum_threads',
    name: 'ListThreads',
    equals: ['catalogItemId'],
    sort: [
      ['lastActivityAt', -1],
      ['_id', -1],
    ],
  },
  { collection: 'forum_posts', name: 'post by id', equals: ['_id'] },
  {
    collection: 'forum_posts',
    name: 'outbox relay of posts',
    equals: [],
    range: 'analyticsPendingSince',
    sort: [['analyticsPendingSince', 1]],
  },
  {
    collection: 'forum_posts',
    name: 'ListPosts',
    equals: ['threadId'],
    sort: [
      ['createTime', 1],
      ['_id', 1],
    ],
  },
  { collection: 'analytics_events', name: 'rollup of whole days', equals: [], range: 'occurTime' },
  { collection: 'analytics_events', name: 'refresh of one item', equals: ['catalogItemId'], range: 'occurTime' },
  { collection: 'analytics_events', name: 'days touched since the last run', equals: [], range: 'receiveTime' },
  { collection: 'analytics_events', name: 'outbox relay upsert', equals: ['catalogItemId', 'occurTime', 'eventId'] },
  { collection: 'analytics_daily_rollups', name: 'rollup upsert', equals: ['catalogItemId', 'day'] },
  { collection: 'analytics_daily_rollups', name: 'GetCourseEngagement', equals: ['catalogItemId'], range: 'day', sort: [['day', 1]] },
];

type IndexInfo = { name: string; key: Record<string, 1 | -1>; unique?: boolean; expireAfterSeconds?: number };

/** True when the index answers the query without a collection scan or in-memory sort. */
function covers(index: IndexInfo, q: QueryShape): boolean {
  const keys = Object.entries(index.key);
  const prefix = keys.slice(0, q.equals.length).map(([k]) => k);
  if (prefix.length !== q.equals.length || !q.equals.every((f) => prefix.includes(f))) return false;
  const rest = keys.slice(q.equals.length);
  const sort = q.sort ?? [];
  if (q.range !== undefined) {
    if (rest[0]?.[0] !== q.range) return false;
    // A sort on the range field itself is served by the same key.
    if (sort.length === 0 || sort[0]?.[0] !== q.range) return true;
  }
  if (sort.length === 0) return true;
  const direction = sort[0] && rest[0] ? sort[0][1] * rest[0][1] : 0;
  return sort.every(([field, dir], i) => rest[i]?.[0] === field && rest[i]?.[1] === dir * direction);
}

let server: TestServer;
let mongo: MongoClient;

useTestServer({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: '0' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await mongo?.close();
  });
  mongo = new MongoClient(server.config.mongoUrl ?? '');
});

const indexesOf = async (collection: string) =>
  (await mongo.db(server.config.mongoDbName).collection(collection).listIndexes().toArray()) as unknown as IndexInfo[];

describe('MongoDB indexes', () => {
  it.each(QUERIES.map((q) => [`${q.collection}: ${q.name}`, q] as const))('when the service starts, then %s has an index', async (_, q) => {
    const indexes = await indexesOf(q.collection);
    expect(indexes.filter((i) => covers(i, q)).map((i) => i.name)).not.toEqual([]);
  });

  it('when the service starts, then raw events have a TTL index and rollups a unique business key', async () => {
    const events = await indexesOf('analytics_events');
    expect(events.find((i) => i.name === 'analytics_events_expire_at_ttl')).toMatchObject({ key: { expireAt: 1 }, expireAfterSeconds: 0 });
    const rollups = await indexesOf('analytics_daily_rollups');
    expect(rollups.find((i) => i.name === 'analytics_daily_rollups_item_day_unique')).toMatchObject({
      key: { catalogItemId: 1, day: 1 },
      unique: true,
    });
  });

  it('when a query shape has no matching index, then the check says so', () => {
    const index: IndexInfo = { name: 'x', key: { catalogItemId: 1, lastActivityAt: 1, _id: 1 } };
    expect(
      covers(index, {
        collection: '',
        name: '',
        equals: ['catalogItemId'],
        sort: [
          ['lastActivityAt', -1],
          ['_id', -1],
        ],
      }),
    ).toBe(true);
    expect(
      covers(index, {
        collection: '',
        name: '',
        equals: ['catalogItemId'],
        sort: [
          ['lastActivityAt', -1],
          ['_id', 1],
        ],
      }),
    ).toBe(false);
    expect(covers(index, { collection: '', name: '', equals: ['authorId'] })).toBe(false);
  });
});
