import { describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { callWithin } from '../support/call-load.js';
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
// The statement timeout every connection starts with; a caller's deadline shorter than that is set per transaction.
const STATEMENT_TIMEOUT_MS = 15_000;
useTestServer({ env: { STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } }, (_server, scope) => {
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
  it('when a priced item is enrolled in, then the attempt is one statement and the enrollment with its payment one transaction of 7: the request id claimed by the statement that reads the checks, the payment written by the one that completes its attempt', async () => {
    const item = await publishedItem(500n);
    await enroll(await student(), item.id);
    const userId = await student();
    const queries = await capture.record(() => enroll(userId, item.id));
    console.info(`Enroll (priced): ${queries.length} round trips\n${shown(queries)}`);
    // The pre-check, the attempt (committed before the provider is asked), then begin .. commit.
    expect(queries.length).toBeLessThanOrEqual(9);
    expect(queries.filter((q) => q.text.trim() === 'begin')).toHaveLength(1);
  });

  it('when a lesson is completed, then it takes 2 round trips and no transaction: one statement records it with its outbox event, one reads the progress', async () => {
    const item = await publishedItem(0n);
    const userId = await student();
    await enroll(userId, item.id);
    const queries = await capture.record(() => call(enrollments.recordLessonCompletion, enrollments, { userId, lessonId: item.lessonId }));
    console.info(`RecordLessonCompletion: ${queries.length} round trips\n${shown(queries)}`);
    expect(queries.length).toBeLessThanOrEqual(2);
    expect(queries.filter((q) => q.text.trim() === 'begin')).toHaveLength(0);
  });

  it('when the caller’s deadline is later than the statement timeout, then no SET LOCAL is sent; when sooner, one per transaction', async () => {
    const item = await publishedItem(0n);
    const [far, near] = [await student(), await student()];
    const setLocal = (queries: CapturedQuery[]) => queries.filter((q) => q.text.startsWith('set local statement_timeout'));
    const enrollWithin = (userId: string, ms: number) =>
      callWithin(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId: newRequestId() }, ms);
    const later = await capture.record(() => enrollWithin(far, 4 * STATEMENT_TIMEOUT_MS));
    const sooner = await capture.record(() => enrollWithin(near, STATEMENT_TIMEOUT_MS / 3));
    expect(setLocal(later)).toHaveLength(0);
    expect(setLocal(sooner)).toHaveLength(1);
    const ms = Number(/= (\d+)/.exec(setLocal(sooner)[0]?.text ?? '')?.[1]);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(STATEMENT_TIMEOUT_MS / 3);
  });
});
