import { describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { newRequestId } from '../support/fixtures.js';
import { call } from '../support/grpc.js';
import { type CapturedQuery, installQueryCapture } from '../support/query-capture.js';
import { useTestServer } from '../support/test-server.js';

// What a write costs in round trips to PostgreSQL (begin and commit count):
// part of the contract, like the read paths' statements (test/catalog/catalog-queries.test.ts).
const capture = installQueryCapture();
let enrollments: EnrollmentServiceClient;
let catalog: CatalogServiceClient;
let users: UserServiceClient;
useTestServer({}, (_server, scope) => {
  scope.onClose(() => capture.uninstall());
  enrollments = scope.connect(EnrollmentServiceClient);
  catalog = scope.connect(CatalogServiceClient);
  users = scope.connect(UserServiceClient);
});

const shown = (queries: CapturedQuery[]) => queries.map((q) => `  ${q.text.split('\n')[0]?.trim()}`).join('\n');

async function publishedItem(priceMinor: bigint): Promise<{ id: string; lessonId: string }> {
  const item = await createCatalogItem(catalog, { title: 'Counted', price: { currencyCode: 'EUR', amountMinor: priceMinor } });
  const lesson = await createLesson(catalog, item.id, { title: 'One', position: 1 });
  await createLesson(catalog, item.id, { title: 'Two', position: 2 });
  await call(catalog.publishCatalogItem, catalog, { id: item.id });
  return { id: item.id, lessonId: lesson.id };
}

const student = async () => (await createUser(users, { role: Role.ROLE_STUDENT })).id;
const enroll = (userId: string, catalogItemId: string) =>
  call(enrollments.enroll, enrollments, { userId, catalogItemId, requestId: newRequestId() });

describe('round trips per write', () => {
  it('when a priced item is enrolled in, then the attempt is one statement and the enrollment with its payment one transaction of 9', async () => {
    const item = await publishedItem(500n);
    await enroll(await student(), item.id);
    const userId = await student();
    const queries = await capture.record(() => enroll(userId, item.id));
    console.info(`Enroll (priced): ${queries.length} round trips\n${shown(queries)}`);
    // The pre-check, the attempt (committed before the provider is asked), then begin .. commit.
    expect(queries.length).toBeLessThanOrEqual(11);
    expect(queries.filter((q) => q.text.trim() === 'begin')).toHaveLength(1);
  });

  it('when a lesson is completed, then it takes one transaction of 5 round trips', async () => {
    const item = await publishedItem(0n);
    const userId = await student();
    await enroll(userId, item.id);
    const queries = await capture.record(() => call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId: item.lessonId }));
    console.info(`RecordLessonCompletion: ${queries.length} round trips\n${shown(queries)}`);
    expect(queries.length).toBeLessThanOrEqual(5);
  });
});
