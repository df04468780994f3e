import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PaymentServiceClient, PaymentStatus } from '../../generated/campus/billing/v1/payment.js';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { insertCatalogItem, insertUser, newRequestId, ScriptedProvider, writeCounts } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { useTestServer } from '../support/test-server.js';

let payments: PaymentServiceClient;
let enrollments: EnrollmentServiceClient;
let db: pg.Client;
const provider = new ScriptedProvider();

useTestServer({ overrides: { paymentProvider: provider } }, async (_server, scope) => {
  payments = scope.connect(PaymentServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});

/** A paid enrollment and its payment's id. */
async function paid(priceAmount = 1_200n, userId?: string) {
  const user = userId ?? (await insertUser(db));
  const item = await insertCatalogItem(db, { priceAmount, currency: 'GBP' });
  const enrollment = await call(enrollments.enroll, enrollments, { userId: user, catalogItemId: item.id, requestId: newRequestId() });
  const { rows } = await db.query('select id from payments where enrollment_id = $1', [enrollment.id]);
  return { userId: user, enrollment, paymentId: rows[0].id as string };
}
const refund = (id: string, etag = '', requestId = '') => call(payments.refundPayment, payments, { id, etag, requestId });
const getPayment = (id: string) => call(payments.getPayment, payments, { id });

describe('GetPayment', () => {
  it('when a paid enrollment exists, then its payment reads back SUCCEEDED with its Money and no provider reference', async () => {
    const { userId, enrollment, paymentId } = await paid(1_200n);

    const payment = await getPayment(paymentId);

    expect(payment).toMatchObject({
      id: paymentId,
      userId,
      enrollmentId: enrollment.id,
      amount: { currencyCode: 'GBP', amountMinor: 1_200n },
      status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
      etag: '1',
    });
    expect(payment.refundTime).toBeUndefined();
    expect(JSON.stringify(payment, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('local_');
  });

  it('when no payment has the id, then NOT_FOUND; when the id is not a UUID, then INVALID_ARGUMENT', async () => {
    const id = '01900000-0000-7000-8000-0000000000b1';
    expect((await failure(getPayment(id))).resource).toEqual({ type: 'Payment', name: id });
    expect((await failure(getPayment('1'))).fieldViolations).toEqual([{ field: 'id', reason: 'INVALID_UUID' }]);
  });
});

describe('ListPayments', () => {
  const list = (userId: string, pageSize = 0, pageToken = '') => call(payments.listPayments, payments, { userId, pageSize, pageToken });

  it("when a user's payments are paged, then each comes once, newest first", async () => {
    const userId = await insertUser(db);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await paid(100n, userId)).paymentId);
    const other = await paid(100n);

    const first = await list(userId, 2);
    const second = await list(userId, 2, first.nextPageToken);

    expect([...first.payments, ...second.payments].map((p) => p.id)).toEqual(ids.reverse());
    expect(second.nextPageToken).toBe('');
    expect(first.payments.map((p) => p.id)).not.toContain(other.paymentId);
  });

  it('when user_id is missing, page_size negative or the token forged, then INVALID_ARGUMENT names the field', async () => {
    expect((await failure(list(''))).fieldViolations).toEqual([{ field: 'user_id', reason: 'FIELD_REQUIRED' }]);
    expect((await failure(list(newRequestId(), -5))).fieldViolations).toEqual([{ field: 'page_size', reason: 'INVALID_PAGE_SIZE' }]);
    expect((await failure(list(newRequestId(), 1, 'eyJxIjoiIn0.AAAA'))).fieldViolations).toEqual([
      { field: 'page_token', reason: 'INVALID_PAGE_TOKEN' },
    ]);
  });
});

describe('RefundPayment', () => {
  it('when a succeeded payment is refunded, then it is REFUNDED, its enrollment CANCELLED, and both are audited', async () => {
    const { enrollment, paymentId } = await paid(2_000n);
    const refunds = provider.refunds.length;

    const refunded = await refund(paymentId, '1');

    expect(refunded).toMatchObject({ id: paymentId, status: PaymentStatus.PAYMENT_STATUS_REFUNDED, etag: '2' });
    expect(refunded.refundTime).toBeInstanceOf(Date);
    expect(provider.refunds.length - refunds).toBe(1);
    const after = await call(enrollments.getEnrollment, enrollments, { id: enrollment.id });
    expect(after.status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
    const { rows } = await db.query(
      `select action from audit_log where action in ('payment.refunded', 'enrollment.cancelled') and entity_id = any($1)`,
      [[paymentId, enrollment.id]],
    );
    expect(rows.map((r) => r.action).sort()).toEqual(['enrollment.cancelled', 'payment.refunded']);
  });

  it('when the payment was already refunded, then FAILED_PRECONDITION and nothing is written', async () => {
    const { paymentId } = await paid();
    await refund(paymentId);
    const before = await writeCounts(db);
    const refunds = provider.refunds.length;

    const err = await failure(refund(paymentId));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('PAYMENT_NOT_REFUNDABLE');
    expect(err.preconditions).toEqual([{ type: 'PAYMENT_STATUS', subject: `payments/${paymentId}` }]);
    expect(provider.refunds.length).toBe(refunds);
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the enrollment was cancelled (and so refunded) first, then RefundPayment is FAILED_PRECONDITION', async () => {
    const { enrollment, paymentId } = await paid();
    await call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, etag: '', requestId: '' });

    const err = await failure(refund(paymentId));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
  });

  it('when refunds of one payment race, and a cancel too, then exactly one refund happens', async () => {
    const { enrollment, paymentId } = await paid();
    const refunds = provider.refunds.length;

    const results = await Promise.allSettled([
      ...Array.from({ length: 6 }, () => refund(paymentId)),
      call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, etag: '', requestId: '' }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.FAILED_PRECONDITION);
    expect(provider.refunds.length - refunds).toBe(1);
    expect((await getPayment(paymentId)).status).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });

  it('when the same request_id is sent again, then the refunded payment is returned and nothing is refunded twice', async () => {
    const { paymentId } = await paid();
    const requestId = newRequestId();
    const first = await refund(paymentId, '', requestId);
    const refunds = provider.refunds.length;

    expect(await refund(paymentId, '', requestId)).toEqual(first);
    expect(provider.refunds.length).toBe(refunds);
  });

  it('when the etag is stale, then ABORTED and the payment stays SUCCEEDED', async () => {
    const { paymentId } = await paid();

    const err = await failure(refund(paymentId, '0'));

    expect(err.code).toBe(status.ABORTED);
    expect((await getPayment(paymentId)).status).toBe(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
  });

  it('when the provider is unreachable, then UNAVAILABLE and nothing changes', async () => {
    const { paymentId, enrollment } = await paid();
    provider.nextRefund = 'throw';

    const err = await failure(refund(paymentId));

    expect(err.code).toBe(status.UNAVAILABLE);
    expect((await getPayment(paymentId)).status).toBe(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    expect((await call(enrollments.getEnrollment, enrollments, { id: enrollment.id })).status).toBe(
      EnrollmentStatus.ENROLLMENT_STATUS_ACTIVE,
    );
  });

  it('when the payment does not exist, then NOT_FOUND; when fields are malformed, then INVALID_ARGUMENT names each', async () => {
    expect((await failure(refund('01900000-0000-7000-8000-0000000000b2'))).code).toBe(status.NOT_FOUND);
    const bad = await failure(refund('', '', 'x'));
    expect(bad.fieldViolations).toEqual([
      { field: 'id', reason: 'FIELD_REQUIRED' },
      { field: 'request_id', reason: 'INVALID_UUID' },
    ]);
  });
});
