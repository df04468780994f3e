import { status } from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { AnalyticsServiceClient, type Event, EventType } from '../../generated/campus/analytics/v1/analytics.js';
import { ForumServiceClient } from '../../generated/campus/forum/v1/forum.js';
import { CampusRows } from '../support/campus-rows.js';
import { call, connect, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: AnalyticsServiceClient;
let rows: CampusRows;
let mongo: MongoClient;
let instructor: string;
let learners: string[];

const DAY = 86_400_000;
const today = new Date(Math.floor(Date.now() / DAY) * DAY);
const at = (daysAgo: number, hour = 10) => new Date(today.getTime() - daysAgo * DAY + hour * 3_600_000);

useTestServer({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: '0', ANALYTICS_EVENT_TTL_DAYS: '30' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await mongo?.close();
    await rows?.close();
  });
  client = scope.connect(AnalyticsServiceClient);
  rows = await CampusRows.open(server.config.databaseUrl ?? '');
  mongo = new MongoClient(server.config.mongoUrl ?? '');
  instructor = await rows.user('instructor');
  learners = [await rows.user(), await rows.user(), await rows.user()];
});

const event = (e: Partial<Event> & Pick<Event, 'userId' | 'catalogItemId'>): Event => ({
  type: EventType.EVENT_TYPE_LESSON_VIEWED,
  lessonId: '',
  occurTime: new Date(Date.now() - 60_000),
  properties: {},
  ...e,
});
const record = (events: Event[]) => call(client.recordEvents, client, { events });
const events = () => mongo.db(server.config.mongoDbName).collection('analytics_events');
const engagement = (catalogItemId: string, from: Date, to: Date, refresh = false) =>
  call(client.getCourseEngagement, client, { catalogItemId, startTime: from, endTime: to, refresh });

describe('RecordEvents', () => {
  it('when a batch has bad events among good ones, then the good ones are written and each bad one is reported by index', async () => {
    const item = await rows.catalogItem(instructor, 'Normal Forms');
    const [a = ''] = learners;
    const res = await record([
      event({ userId: a, catalogItemId: item, properties: { device: 'phone' } }),
      event({ userId: a, catalogItemId: item, type: EventType.EVENT_TYPE_UNSPECIFIED }),
      event({ userId: '01900000-0000-7000-8000-000000000000', catalogItemId: item }),
      event({ userId: a, catalogItemId: item, occurTime: new Date(Date.now() + 3_600_000) }),
      event({ userId: a, catalogItemId: item, occurTime: at(40) }),
      event({
        userId: a,
        catalogItemId: item,
        type: EventType.EVENT_TYPE_LESSON_COMPLETED,
        lessonId: '01900000-0000-7000-8000-0000000000aa',
      }),
    ]);
    expect(res.acceptedCount).toBe(2);
    expect(res.rejections.map((r) => [r.index, r.field, r.reason])).toEqual([
      [1, 'type', 'INVALID_ENUM'],
      [2, 'user_id', 'UNKNOWN_USER'],
      [3, 'occur_time', 'IN_FUTURE'],
      [4, 'occur_time', 'TOO_OLD'],
    ]);
    const stored = await events().find({ catalogItemId: item }).toArray();
    expect(stored).toHaveLength(2);
    // Denormalized at ingest; expires TTL days after it occurred.
    expect(stored[0]).toMatchObject({ catalogItemTitle: 'Normal Forms', userRole: 'student', properties: { device: 'phone' } });
    const first = stored[0] as unknown as { occurTime: Date; expireAt: Date };
    expect(first.expireAt.getTime() - first.occurTime.getTime()).toBe(30 * DAY);
  });

  it('when a batch has more than 1000 events or none, then INVALID_ARGUMENT and nothing is written', async () => {
    const item = await rows.catalogItem(instructor);
    const [a = ''] = learners;
    const err = await failure(record(Array.from({ length: 1001 }, () => event({ userId: a, catalogItemId: item }))));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'events', reason: 'TOO_MANY' }]);
    expect(await events().countDocuments({ catalogItemId: item })).toBe(0);
    expect((await failure(record([]))).fieldViolations).toEqual([{ field: 'events', reason: 'FIELD_REQUIRED' }]);
  });

  it('when a batch of 1000 arrives, then all are written', async () => {
    const item = await rows.catalogItem(instructor);
    const res = await record(Array.from({ length: 1000 }, (_, i) => event({ userId: learners[i % 3] ?? '', catalogItemId: item })));
    expect(res).toEqual({ acceptedCount: 1000, rejections: [] });
    expect(await events().countDocuments({ catalogItemId: item })).toBe(1000);
  });
});

describe('GetCourseEngagement', () => {
  it('when events span days, then each day has its distinct learners, completions and posts, and empty days are zero', async () => {
    const item = await rows.catalogItem(instructor);
    const [a = '', b = '', c = ''] = learners;
    await record([
      event({ userId: a, catalogItemId: item, occurTime: at(2, 9) }),
      event({ userId: a, catalogItemId: item, occurTime: at(2, 11), type: EventType.EVENT_TYPE_LESSON_COMPLETED }),
      event({ userId: b, catalogItemId: item, occurTime: at(2, 23), type: EventType.EVENT_TYPE_LESSON_COMPLETED }),
      event({ userId: c, catalogItemId: item, occurTime: at(0, 0), type: EventType.EVENT_TYPE_POST_CREATED }),
    ]);
    const res = await engagement(item, at(2, 0), at(-1, 0), true);
    expect(res.days.map((d) => [d.dayStartTime?.getTime(), d.activeLearners, d.lessonsCompleted, d.postsWritten])).toEqual([
      [at(2, 0).getTime(), 2n, 2n, 0n],
      [at(1, 0).getTime(), 0n, 0n, 0n],
      [at(0, 0).getTime(), 1n, 0n, 1n],
    ]);
  });

  it('when the rollup job reruns, with and without new events, then figures are recomputed, never added twice', async () => {
    const item = await rows.catalogItem(instructor);
    const [a = '', b = ''] = learners;
    await record([
      event({ userId: a, catalogItemId: item, occurTime: at(1) }),
      event({ userId: a, catalogItemId: item, occurTime: at(1) }),
    ]);
    await server.app.analytics.rollups.run();
    await server.app.analytics.rollups.run();
    const once = await engagement(item, at(1, 0), at(0, 0));
    expect(once.days.map((d) => d.activeLearners)).toEqual([1n]);
    // A late event for that day: the next run recomputes the day.
    await record([event({ userId: b, catalogItemId: item, occurTime: at(1), type: EventType.EVENT_TYPE_LESSON_COMPLETED })]);
    await server.app.analytics.rollups.run();
    const again = await engagement(item, at(1, 0), at(0, 0));
    expect(again.days.map((d) => [d.activeLearners, d.lessonsCompleted])).toEqual([[2n, 1n]]);
    const stored = await mongo.db(server.config.mongoDbName).collection('analytics_daily_rollups').countDocuments({ catalogItemId: item });
    expect(stored).toBe(1);
  });

  it('when fresh data is not asked for, then the answer is what the job last wrote', async () => {
    const item = await rows.catalogItem(instructor);
    const [a = ''] = learners;
    await record([event({ userId: a, catalogItemId: item, occurTime: at(0, 0) })]);
    expect((await engagement(item, at(0, 0), at(-1, 0))).days.map((d) => d.activeLearners)).toEqual([0n]);
    expect((await engagement(item, at(0, 0), at(-1, 0), true)).days.map((d) => d.activeLearners)).toEqual([1n]);
  });

  it('when the range is empty or longer than 366 days, then INVALID_ARGUMENT names end_time', async () => {
    const item = await rows.catalogItem(instructor);
    expect((await failure(engagement(item, at(0), at(1)))).fieldViolations).toEqual([{ field: 'end_time', reason: 'INVALID_RANGE' }]);
    expect((await failure(engagement(item, at(400), at(0)))).fieldViolations).toEqual([{ field: 'end_time', reason: 'RANGE_TOO_LONG' }]);
  });
});

describe('internal recorder', () => {
  it('when a forum post is written, then a POST_CREATED event is relayed after it', async () => {
    const item = await rows.catalogItem(instructor);
    const forum = connect(ForumServiceClient, server.port);
    try {
      const thread = await call(forum.createThread, forum, {
        catalogItemId: item,
        authorId: instructor,
        title: 'Welcome',
        body: 'Hello all',
      });
      await server.app.outbox.relay.run();
      const stored = await events().find({ catalogItemId: item }).toArray();
      expect(stored).toMatchObject([
        { type: 'post_created', userId: instructor, userRole: 'instructor', properties: { threadId: thread.id } },
      ]);
    } finally {
      forum.close();
    }
  });

  it('when the events cannot be recorded, then the caller is not disturbed and the loss is counted', async () => {
    const before = await server.app.registry.getSingleMetricAsString('campus_analytics_recorder_events_total');
    server.app.analytics.recorder.record({ type: 'enrolled', userId: 'not-a-uuid', catalogItemId: 'x', lessonId: '' });
    await server.app.analytics.recorder.drain();
    const after = await server.app.registry.getSingleMetricAsString('campus_analytics_recorder_events_total');
    expect(after).not.toBe(before);
    expect(after).toMatch(/outcome="rejected"\} [1-9]/);
  });
});
