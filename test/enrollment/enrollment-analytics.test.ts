import { MongoClient } from 'mongodb';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AnalyticsServiceClient } from '../../generated/campus/analytics/v1/analytics.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { rawClient } from '../support/databases.js';
import { insertCatalogItem, insertUser, newRequestId } from '../support/fixtures.js';
import { call } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

// Enrollments and lesson completions reach analytics after their commit,
// through the outbox their transaction wrote (relayed within a second).
let server: TestServer;
let enrollments: EnrollmentServiceClient;
let analytics: AnalyticsServiceClient;
let db: pg.Client;
let mongo: MongoClient;

useTestServer({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: '0' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await mongo?.close();
    await db?.end();
  });
  enrollments = scope.connect(EnrollmentServiceClient);
  analytics = scope.connect(AnalyticsServiceClient);
  db = await rawClient(server.config.databaseUrl ?? '');
  mongo = new MongoClient(server.config.mongoUrl ?? '');
});

const DAY = 86_400_000;
const eventsOf = (catalogItemId: string) =>
  mongo
    .db(server.config.mongoDbName)
    .collection('analytics_events')
    .find({ catalogItemId }, { sort: { occurTime: 1, _id: 1 } })
    .toArray();
/** What the outbox holds so far, relayed. */
const written = () => server.app.outbox.relay.run();

describe('analytics of enrollments', () => {
  it('when a learner enrolls, then the answer does not wait for analytics, and the event is written soon after', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { lessons: 1 });

    await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId: newRequestId() });
    // Relayed within about a second: not written yet when the caller has its answer.
    expect(await eventsOf(item.id)).toEqual([]);

    let events = await eventsOf(item.id);
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events = await eventsOf(item.id);
    }
    expect(events.map((e) => [e.type, e.userId])).toEqual([['enrolled', userId]]);
  });

  it('when a learner enrolls and completes a lesson, then both events are recorded once, and GetCourseEngagement counts them', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { lessons: 2 });
    const requestId = newRequestId();
    const enrollment = await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId });
    const lessonId = item.lessonIds[0] as string;
    await call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId });
    // A replayed Enroll and a lesson completed again change nothing, so they are not events either.
    await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId });
    await call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId });
    await written();

    const events = await eventsOf(item.id);
    expect(events.map((e) => [e.type, e.userId, e.lessonId ?? ''])).toEqual([
      ['enrolled', userId, ''],
      ['lesson_completed', userId, lessonId],
    ]);
    expect(events[0]?.properties).toEqual({ enrollmentId: enrollment.id });

    const today = new Date(Math.floor(Date.now() / DAY) * DAY);
    const engagement = await call(analytics.getCourseEngagement, analytics, {
      catalogItemId: item.id,
      startTime: today,
      endTime: new Date(today.getTime() + DAY),
      refresh: true,
    });
    expect(engagement.days.map((d) => [d.activeLearners, d.lessonsCompleted])).toEqual([[1n, 1n]]);
  });

  it('when the last lesson is completed, then a course_completed event follows the lesson_completed one', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { lessons: 1 });
    await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId: newRequestId() });
    await call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId: item.lessonIds[0] as string });
    await written();
    expect((await eventsOf(item.id)).map((e) => e.type)).toEqual(['enrolled', 'lesson_completed', 'course_completed']);
  });
});
