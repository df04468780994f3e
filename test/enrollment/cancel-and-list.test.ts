import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { insertCatalogItem, insertUser, newRequestId, ScriptedProvider, writeCounts } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { useTestServer } from '../support/test-server.js';

let client: EnrollmentServiceClient;
let db: pg.Client;
const provider = new ScriptedProvider();

useTestServer({ overrides: { paymentProvider: provider } }, async (_server, scope) => {
  client = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});

async function enrolled(opts: { priceAmount?: bigint; lessons?: number; userId?: string } = {}) {
  const userId = opts.userId ?? (await insertUser(db));
  const item = await insertCatalogItem(db, { priceAmount: opts.priceAmount ?? 0n, lessons: opts.lessons ?? 0 });
  return call(client.enroll, client, { userId, catalogItemId: item.id, requestId: newRequestId() });
}
const cancel = (id: string, etag = '', requestId = '') => call(client.cancelEnrollment, client, { id, etag, requestId });
const paymentOf = async (enrollmentId: string) =>
  (await db.query('select id, status, refund_time, version from payments where enrollment_id = $1', [enrollmentId])).rows[0];

describe('CancelEnrollment', () => {
  it('when a paid enrollment is cancelled, then it is CANCELLED and its payment REFUNDED through the provider, both audited', async () => {
    const enrollment = await enrolled({ priceAmount: 1_500n });
    const refunds = provider.refunds.length;

    const cancelled = await cancel(enrollment.id, enrollment.etag);

    expect(cancelled).toMatchObject({ id: enrollment.id, status: EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED, etag: '2' });
    expect(cancelled.cancelTime).toBeInstanceOf(Date);
    const payment = await paymentOf(enrollment.id);
    expect(payment).toMatchObject({ status: 'refunded', version: 2 });
    expect(payment.refund_time).toBeInstanceOf(Date);
    expect(provider.refunds.length - refunds).toBe(1);
    expect(provider.refunds.at(-1)).toMatchObject({ amount: 1_500n, idempotencyKey: `refund:${payment.id}` });
    const { rows } = await db.query('select action from audit_log where entity_id = any($1) order by action', [
      [enrollment.id, payment.id],
    ]);
    expect(rows.map((r) => r.action)).toEqual(['enrollment.cancelled', 'enrollment.created', 'payment.refunded', 'payment.succeeded']);
  });

  it('when a free enrollment is cancelled, then nothing is refunded', async () => {
    const enrollment = await enrolled();
    const refunds = provider.refunds.length;

    const cancelled = await cancel(enrollment.id);

    expect(cancelled.status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
    expect(provider.refunds.length).toBe(refunds);
  });

  it('when it is cancelled twice, then the second is FAILED_PRECONDITION and nothing is refunded twice', async () => {
    const enrollment = await enrolled({ priceAmount: 900n });
    await cancel(enrollment.id);
    const refunds = provider.refunds.length;
    const before = await writeCounts(db);

    const err = await failure(cancel(enrollment.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('ENROLLMENT_CANCELLED');
    expect(provider.refunds.length).toBe(refunds);
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when it is cancelled again with the same request_id, then the cancelled enrollment is returned and nothing more happens', async () => {
    const enrollment = await enrolled({ priceAmount: 900n });
    const requestId = newRequestId();
    const first = await cancel(enrollment.id, '', requestId);
    const refunds = provider.refunds.length;
    const before = await writeCounts(db);

    const again = await cancel(enrollment.id, '', requestId);

    expect(again).toEqual(first);
    expect(provider.refunds.length).toBe(refunds);
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when concurrent cancels race, then exactly one succeeds and the payment is refunded once', async () => {
    const enrollment = await enrolled({ priceAmount: 900n });
    const refunds = provider.refunds.length;

    const results = await Promise.allSettled(Array.from({ length: 6 }, () => cancel(enrollment.id)));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.FAILED_PRECONDITION);
    expect(provider.refunds.length - refunds).toBe(1);
  });

  it('when the etag is stale, then ABORTED and neither the enrollment nor the payment changes', async () => {
    const enrollment = await enrolled({ priceAmount: 900n, lessons: 2 });
    const before = await writeCounts(db);

    const err = await failure(cancel(enrollment.id, '7'));

    expect(err.code).toBe(status.ABORTED);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(await call(client.getEnrollment, client, { id: enrollment.id })).toEqual(enrollment);
    expect((await paymentOf(enrollment.id)).status).toBe('succeeded');
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the provider declines the refund, then FAILED_PRECONDITION REFUND_DECLINED and nothing changes', async () => {
    const enrollment = await enrolled({ priceAmount: 900n });
    provider.nextRefund = 'decline';

    const err = await failure(cancel(enrollment.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('REFUND_DECLINED');
    expect((await call(client.getEnrollment, client, { id: enrollment.id })).status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_ACTIVE);
    expect((await paymentOf(enrollment.id)).status).toBe('succeeded');
  });

  it('when the enrollment is completed, then FAILED_PRECONDITION ENROLLMENT_COMPLETED', async () => {
    const enrollment = await enrolled({ lessons: 1 });
    const [lesson] = (await db.query('select id from lessons where catalog_item_id = $1', [enrollment.catalogItemId])).rows;
    await call(client.recordLessonCompletion, client, { userId: enrollment.userId, lessonId: lesson.id });

    const err = await failure(cancel(enrollment.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('ENROLLMENT_COMPLETED');
  });

  it('when the enrollment does not exist, then NOT_FOUND; when fields are malformed, then INVALID_ARGUMENT names each', async () => {
    const missing = await failure(cancel('01900000-0000-7000-8000-0000000000ee'));
    expect(missing.code).toBe(status.NOT_FOUND);
    const bad = await failure(cancel('x', 'e'.repeat(65), 'not-a-uuid'));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fieldViolations).toEqual([
      { field: 'id', reason: 'INVALID_UUID' },
      { field: 'request_id', reason: 'INVALID_UUID' },
      { field: 'etag', reason: 'TOO_LONG' },
    ]);
  });
});

describe('GetEnrollment', () => {
  it('when no enrollment has the id, then NOT_FOUND names it; when the id is not a UUID, then INVALID_ARGUMENT', async () => {
    const id = '01900000-0000-7000-8000-0000000000ef';
    expect((await failure(call(client.getEnrollment, client, { id }))).resource).toEqual({ type: 'Enrollment', name: id });
    expect((await failure(call(client.getEnrollment, client, { id: 'x' }))).fieldViolations).toEqual([
      { field: 'id', reason: 'INVALID_UUID' },
    ]);
  });
});

describe('ListEnrollments', () => {
  const list = (req: { userId?: string; catalogItemId?: string; pageSize?: number; pageToken?: string }) =>
    call(client.listEnrollments, client, { userId: '', catalogItemId: '', pageSize: 0, pageToken: '', ...req });

  it("when a user's enrollments are paged, then every one comes once, newest first, while new ones are inserted", async () => {
    const userId = await insertUser(db);
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await enrolled({ userId }));
    const expected = created.map((e) => e.id).reverse();

    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await list({ userId, pageSize: 2, pageToken });
      seen.push(...page.enrollments.map((e) => e.id));
      pageToken = page.nextPageToken;
      pages++;
      // Rows inserted mid-listing are newer than the position: they never shift later pages.
      if (pages === 1) await enrolled({ userId });
    } while (pageToken !== '');

    expect(seen).toEqual(expected);
    expect(pages).toBe(3);
  });

  it("when an item's enrollments are listed, then only that item's come back", async () => {
    const item = await insertCatalogItem(db);
    const a = await call(client.enroll, client, { userId: await insertUser(db), catalogItemId: item.id, requestId: newRequestId() });
    const b = await call(client.enroll, client, { userId: await insertUser(db), catalogItemId: item.id, requestId: newRequestId() });

    const page = await list({ catalogItemId: item.id });

    expect(page.enrollments.map((e) => e.id)).toEqual([b.id, a.id]);
    expect(page.nextPageToken).toBe('');
  });

  it('when neither or both of user_id and catalog_item_id are set, then INVALID_ARGUMENT names both', async () => {
    const neither = await failure(list({}));
    expect(neither.fieldViolations).toEqual([
      { field: 'user_id', reason: 'ONE_OF_REQUIRED' },
      { field: 'catalog_item_id', reason: 'ONE_OF_REQUIRED' },
    ]);
    const both = await failure(list({ userId: newRequestId(), catalogItemId: newRequestId() }));
    expect(both.fieldViolations.map((v) => v.reason)).toEqual(['ONE_OF_CONFLICT', 'ONE_OF_CONFLICT']);
  });

  it('when page_size is negative, then INVALID_ARGUMENT; when 0 or above the maximum, then the default or the maximum', async () => {
    const userId = await insertUser(db);
    for (let i = 0; i < 3; i++) await enrolled({ userId });
    expect((await failure(list({ userId, pageSize: -1 }))).fieldViolations).toEqual([{ field: 'page_size', reason: 'INVALID_PAGE_SIZE' }]);
    expect((await list({ userId, pageSize: 0 })).enrollments).toHaveLength(3);
    expect((await list({ userId, pageSize: 1_000_000 })).enrollments).toHaveLength(3);
  });

  it('when the page_token is edited or belongs to another query, then INVALID_ARGUMENT names page_token', async () => {
    const userId = await insertUser(db);
    for (let i = 0; i < 2; i++) await enrolled({ userId });
    const { nextPageToken } = await list({ userId, pageSize: 1 });
    const [body, sig] = nextPageToken.split('.');
    const edited = `${Buffer.from(
      Buffer.from(body ?? '', 'base64url')
        .toString()
        .replace(/"k":\["/, '"k":["2'),
    ).toString('base64url')}.${sig}`;

    for (const pageToken of [edited, 'garbage', `${nextPageToken}x`]) {
      const err = await failure(list({ userId, pageToken }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
    }
    const other = await failure(list({ userId: await insertUser(db), pageToken: nextPageToken }));
    expect(other.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
  });
});
