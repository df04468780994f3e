import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PaymentServiceClient } from '../../generated/campus/billing/v1/payment.js';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { insertCatalogItem, insertUser, newRequestId } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { useTestServer } from '../support/test-server.js';

// GetProgress reads through the cache. Each test reads first (a miss fills the
// cache before it answers), writes through the API, and reads again: the read
// must show the write, or the invalidation is missing.
let enrollments: EnrollmentServiceClient;
let catalog: CatalogServiceClient;
let payments: PaymentServiceClient;
let db: pg.Client;

useTestServer({}, async (_server, scope) => {
  enrollments = scope.connect(EnrollmentServiceClient);
  catalog = scope.connect(CatalogServiceClient);
  payments = scope.connect(PaymentServiceClient);
  db = await scope.database();
});

const progress = (userId: string, catalogItemId: string) => call(enrollments.getProgress, enrollments, { userId, catalogItemId });
const complete = (userId: string, lessonId: string) => call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId });
const enroll = (userId: string, catalogItemId: string) =>
  call(enrollments.enroll, enrollments, { userId, catalogItemId, requestId: newRequestId() });

/** A learner enrolled in a fresh free item with `lessons` lessons, progress read once (so cached). */
async function learner(lessons: number, priceAmount = 0n) {
  const userId = await insertUser(db);
  const item = await insertCatalogItem(db, { lessons, priceAmount });
  const enrollment = await enroll(userId, item.id);
  await progress(userId, item.id);
  return { userId, itemId: item.id, lessonIds: item.lessonIds, enrollment };
}

describe('GetProgress through the cache', () => {
  it('when a completion is written behind the service, then the cached progress is served: reads are cached', async () => {
    const { userId, itemId, lessonIds } = await learner(2);
    await db.query(
      'insert into lesson_progress (id, user_id, catalog_item_id, lesson_id, completed_at) values (gen_random_uuid(), $1, $2, $3, now())',
      [userId, itemId, lessonIds[0]],
    );
    expect((await progress(userId, itemId)).completedLessons).toBe(0);
  });

  it('when the learner enrolls after a NOT_FOUND was read, then the next read finds the enrollment', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { lessons: 1 });
    expect((await failure(progress(userId, item.id))).code).toBe(status.NOT_FOUND);
    const enrollment = await enroll(userId, item.id);
    expect(await progress(userId, item.id)).toMatchObject({ enrollmentId: enrollment.id, totalLessons: 1, completedLessons: 0 });
  });

  it('when a lesson is completed, then the next read counts it; when the last one is, the status is COMPLETED', async () => {
    const { userId, itemId, lessonIds } = await learner(2);
    await complete(userId, lessonIds[0] as string);
    expect(await progress(userId, itemId)).toMatchObject({ completedLessons: 1, percent: 50 });
    await complete(userId, lessonIds[1] as string);
    expect(await progress(userId, itemId)).toMatchObject({
      completedLessons: 2,
      enrollmentStatus: EnrollmentStatus.ENROLLMENT_STATUS_COMPLETED,
    });
  });

  it('when the enrollment is cancelled, then the next read shows CANCELLED', async () => {
    const { userId, itemId, enrollment } = await learner(1);
    await call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, etag: '', requestId: '' });
    expect((await progress(userId, itemId)).enrollmentStatus).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
  });

  it('when the payment is refunded, then the next read shows the enrollment CANCELLED', async () => {
    const { userId, itemId, enrollment } = await learner(1, 2_500n);
    const { rows } = await db.query('select id from payments where enrollment_id = $1', [enrollment.id]);
    await call(payments.refundPayment, payments, { id: rows[0].id as string, etag: '', requestId: '' });
    expect((await progress(userId, itemId)).enrollmentStatus).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
  });

  it('when a lesson is added to the item, then every learner’s next read has the new total and percent', async () => {
    const a = await learner(2);
    const b = await enroll(await insertUser(db), a.itemId);
    await complete(a.userId, a.lessonIds[0] as string);
    await complete(b.userId, a.lessonIds[0] as string);
    expect((await progress(a.userId, a.itemId)).percent).toBe(50);
    expect((await progress(b.userId, a.itemId)).percent).toBe(50);

    await call(catalog.createLesson, catalog, {
      catalogItemId: a.itemId,
      lesson: { id: '', catalogItemId: '', title: 'New', position: 3, etag: '' },
    });

    for (const userId of [a.userId, b.userId]) {
      expect(await progress(userId, a.itemId)).toMatchObject({ totalLessons: 3, completedLessons: 1, percent: (1 / 3) * 100 });
    }
  });

  it('when a lesson is deleted or moved, then the next read has the new total and the completed ids in the new order', async () => {
    const { userId, itemId, lessonIds } = await learner(3);
    const [first, second, third] = lessonIds as [string, string, string];
    await complete(userId, first);
    await complete(userId, third);
    expect((await progress(userId, itemId)).completedLessonIds).toEqual([first, third]);

    await call(catalog.updateLesson, catalog, {
      lesson: { id: first, catalogItemId: '', title: '', position: 9, etag: '' },
      updateMask: ['position'],
    });
    expect((await progress(userId, itemId)).completedLessonIds).toEqual([third, first]);

    await call(catalog.deleteLesson, catalog, { id: second, etag: '' });
    expect(await progress(userId, itemId)).toMatchObject({ totalLessons: 2, completedLessons: 2, percent: 100 });
  });
});
