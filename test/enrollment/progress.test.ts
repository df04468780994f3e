import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { insertCatalogItem, insertLesson, insertUser, newRequestId } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: EnrollmentServiceClient;
let db: pg.Client;

useTestServer({}, async (s, scope) => {
  server = s;
  client = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});

/** A user enrolled in a fresh item with `lessons` lessons. */
async function enrolled(lessons: number) {
  const userId = await insertUser(db);
  const item = await insertCatalogItem(db, { lessons });
  const enrollment = await call(client.enroll, client, { userId, catalogItemId: item.id, requestId: newRequestId() });
  return { userId, itemId: item.id, lessonIds: item.lessonIds, enrollment };
}
const complete = (userId: string, lessonId: string) => call(client.recordLessonCompletion, client, { userId, lessonId });
const progress = (userId: string, catalogItemId: string) => call(client.getProgress, client, { userId, catalogItemId });

describe('RecordLessonCompletion', () => {
  it('when a lesson is completed, then the progress counts it and GetProgress agrees', async () => {
    const { userId, itemId, lessonIds, enrollment } = await enrolled(3);

    const after = await complete(userId, lessonIds[1] as string);

    expect(after).toEqual({
      userId,
      catalogItemId: itemId,
      enrollmentId: enrollment.id,
      enrollmentStatus: EnrollmentStatus.ENROLLMENT_STATUS_ACTIVE,
      completedLessons: 1,
      totalLessons: 3,
      percent: (1 / 3) * 100,
      completedLessonIds: [lessonIds[1]],
    });
    expect(await progress(userId, itemId)).toEqual(after);
  });

  it('when the same lesson is completed twice, then the second call returns the same progress and writes no row', async () => {
    const { userId, lessonIds } = await enrolled(2);
    const first = await complete(userId, lessonIds[0] as string);

    const second = await complete(userId, lessonIds[0] as string);

    expect(second).toEqual(first);
    const { rows } = await db.query('select 1 from lesson_progress where user_id = $1', [userId]);
    expect(rows).toHaveLength(1);
  });

  it('when the last lesson is completed, then the enrollment is COMPLETED with complete_time and audited once', async () => {
    const { userId, itemId, lessonIds, enrollment } = await enrolled(2);
    await complete(userId, lessonIds[1] as string);

    const done = await complete(userId, lessonIds[0] as string);
    await complete(userId, lessonIds[0] as string);

    expect(done).toMatchObject({ enrollmentStatus: EnrollmentStatus.ENROLLMENT_STATUS_COMPLETED, completedLessons: 2, percent: 100 });
    expect(done.completedLessonIds).toEqual(lessonIds);
    const read = await call(client.getEnrollment, client, { id: enrollment.id });
    expect(read.status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_COMPLETED);
    expect(read.completeTime).toBeInstanceOf(Date);
    expect(read.etag).toBe('2');
    const { rows } = await db.query(`select actor from audit_log where entity_id = $1 and action = 'enrollment.completed'`, [
      enrollment.id,
    ]);
    expect(rows).toEqual([{ actor: server.admin.id }]);
    expect((await progress(userId, itemId)).enrollmentStatus).toBe(EnrollmentStatus.ENROLLMENT_STATUS_COMPLETED);
  });

  it('when the last two lessons are completed concurrently, then the enrollment still ends COMPLETED, completed once', async () => {
    for (let round = 0; round < 5; round++) {
      const { userId, lessonIds, enrollment } = await enrolled(3);
      await complete(userId, lessonIds[0] as string);

      await Promise.all([complete(userId, lessonIds[1] as string), complete(userId, lessonIds[2] as string)]);

      const read = await call(client.getEnrollment, client, { id: enrollment.id });
      expect(read.status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_COMPLETED);
      expect(read.etag).toBe('2');
      const audited = await db.query(`select 1 from audit_log where entity_id = $1 and action = 'enrollment.completed'`, [enrollment.id]);
      expect(audited.rowCount).toBe(1);
    }
  });

  it('when the lesson belongs to an item the user is not enrolled in, then FAILED_PRECONDITION NOT_ENROLLED', async () => {
    const { userId } = await enrolled(1);
    const other = await insertCatalogItem(db, { lessons: 1 });

    const err = await failure(complete(userId, other.lessonIds[0] as string));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('NOT_ENROLLED');
    expect(err.preconditions).toEqual([{ type: 'ENROLLMENT', subject: `lessons/${other.lessonIds[0]}` }]);
  });

  it('when the enrollment was cancelled, then FAILED_PRECONDITION ENROLLMENT_CANCELLED and nothing is recorded', async () => {
    const { userId, lessonIds, enrollment } = await enrolled(2);
    await call(client.cancelEnrollment, client, { id: enrollment.id, etag: '', requestId: '' });

    const err = await failure(complete(userId, lessonIds[0] as string));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('ENROLLMENT_CANCELLED');
    const { rows } = await db.query('select 1 from lesson_progress where user_id = $1', [userId]);
    expect(rows).toHaveLength(0);
  });

  it('when the lesson does not exist, then NOT_FOUND names the lesson', async () => {
    const { userId } = await enrolled(1);
    const lessonId = '01900000-0000-7000-8000-00000000000a';

    const err = await failure(complete(userId, lessonId));

    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'Lesson', name: lessonId });
  });

  it('when the ids are malformed, then INVALID_ARGUMENT names each field', async () => {
    const err = await failure(complete('', 'lesson-1'));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([
      { field: 'user_id', reason: 'FIELD_REQUIRED' },
      { field: 'lesson_id', reason: 'INVALID_UUID' },
    ]);
  });
});

describe('GetProgress', () => {
  it('when nothing is completed yet, then 0 of the lessons and 0 percent', async () => {
    const { userId, itemId } = await enrolled(4);
    expect(await progress(userId, itemId)).toMatchObject({ completedLessons: 0, totalLessons: 4, percent: 0, completedLessonIds: [] });
  });

  it('when the item has no lessons, then 0 of 0 and 0 percent', async () => {
    const { userId, itemId } = await enrolled(0);
    expect(await progress(userId, itemId)).toMatchObject({ completedLessons: 0, totalLessons: 0, percent: 0 });
  });

  it('when a lesson is added after progress was made, then the total grows and the percent falls', async () => {
    const { userId, itemId, lessonIds } = await enrolled(1);
    await complete(userId, lessonIds[0] as string);
    await insertLesson(db, itemId, 2);

    expect(await progress(userId, itemId)).toMatchObject({ completedLessons: 1, totalLessons: 2, percent: 50 });
  });

  it('when the user has no enrollment in the item, then NOT_FOUND', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { lessons: 1 });

    const err = await failure(progress(userId, item.id));

    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource?.type).toBe('Enrollment');
  });

  it('when the ids are malformed, then INVALID_ARGUMENT names each field', async () => {
    const err = await failure(progress('x', ''));
    expect(err.fieldViolations).toEqual([
      { field: 'user_id', reason: 'INVALID_UUID' },
      { field: 'catalog_item_id', reason: 'FIELD_REQUIRED' },
    ]);
  });
});
