import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import type { ChargeRequest } from '../../src/billing/payment-provider.js';
import { insertCatalogItem, insertUser, newRequestId, ScriptedProvider } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * Money is safe whatever fails when: the attempt is recorded before the
 * provider is called, a transaction that dies after the charge is refunded
 * (at once, or by the reconciler when that fails too), and an attempt whose
 * payment did commit is completed, never refunded.
 */

/** Records, at each charge, the attempt rows the database held when the provider was asked. */
class WatchedProvider extends ScriptedProvider {
  readonly seenAtCharge: { status: string; idempotency_key: string }[][] = [];
  db: pg.Client | undefined;

  override async charge(request: ChargeRequest) {
    const { rows } = await (this.db as pg.Client).query('select status, idempotency_key from payment_attempts where id = $1', [
      request.paymentId,
    ]);
    this.seenAtCharge.push(rows);
    return super.charge(request);
  }
}

/** Payments of this amount fail at COMMIT (a deferred trigger): the transaction dies after the charge. */
const DOOMED = 4_242n;
let server: TestServer;
let db: pg.Client;
let enrollments: EnrollmentServiceClient;
const provider = new WatchedProvider();

useTestServer({ env: { PAYMENT_RECONCILE_INTERVAL_MS: '0' }, overrides: { paymentProvider: provider } }, async (s, scope) => {
  server = s;
  db = await scope.database();
  provider.db = db;
  enrollments = scope.connect(EnrollmentServiceClient);
  await db.query(`create function refuse_commit() returns trigger language plpgsql as $$
                  begin raise exception 'commit refused by the test'; end $$`);
  await db.query(`create constraint trigger payments_refuse_commit after insert on payments
                  deferrable initially deferred for each row when (new.amount = ${DOOMED}) execute function refuse_commit()`);
});

async function enroll(priceAmount: bigint) {
  const userId = await insertUser(db);
  const item = await insertCatalogItem(db, { priceAmount });
  const request = { userId, catalogItemId: item.id, requestId: newRequestId() };
  return { request, result: call(enrollments.enroll, enrollments, request) };
}

async function attemptsOf(requestId: string) {
  const { rows } = await db.query<{ id: string; status: string; idempotency_key: string }>(
    'select id, status, idempotency_key from payment_attempts where request_key = $1',
    [`enroll:${requestId}`],
  );
  return rows;
}

async function openGauge(): Promise<number> {
  const metric = await server.app.registry.getSingleMetric('payment_attempts_open')?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

const later = () => new Date(Date.now() + 3_600_000);

describe('payment attempts', () => {
  it('when a priced Enroll charges, then its attempt was committed as open, with the key the provider got, before the charge', async () => {
    const { request, result } = await enroll(1_500n);
    await result;
    const charge = provider.charges.at(-1);
    expect(provider.seenAtCharge.at(-1)).toEqual([{ status: 'open', idempotency_key: `enroll:${request.requestId}` }]);
    expect(charge?.idempotencyKey).toBe(`enroll:${request.requestId}`);
    expect(await attemptsOf(request.requestId)).toEqual([
      { id: charge?.paymentId, status: 'completed', idempotency_key: `enroll:${request.requestId}` },
    ]);
  });

  it('when the transaction dies at COMMIT after the charge, then the charge is refunded at once and nothing is enrolled', async () => {
    const refunds = provider.refunds.length;
    const { request, result } = await enroll(DOOMED);
    await failure(result);
    const [attempt] = await attemptsOf(request.requestId);
    expect(attempt?.status).toBe('refunded');
    expect(provider.refunds.slice(refunds).map((r) => r.idempotencyKey)).toEqual([`refund:${attempt?.id}`]);
    const { rows } = await db.query('select 1 from enrollments where user_id = $1', [request.userId]);
    expect(rows).toEqual([]);
  });

  it('when the transaction dies after the charge and the refund fails too, then the reconciler refunds it once and the gauge empties', async () => {
    const refunds = provider.refunds.length;
    provider.nextRefund = 'throw';
    const { request, result } = await enroll(DOOMED);
    await failure(result);
    const [attempt] = await attemptsOf(request.requestId);
    expect(attempt?.status).toBe('open');
    expect(provider.refunds.length).toBe(refunds);

    // Too young to settle: it is counted, left alone.
    expect((await server.app.payments.reconciler.run()).refunded).toBe(0);
    expect(await openGauge()).toBe(1);

    const outcome = await server.app.payments.reconciler.run(later());
    expect(outcome).toMatchObject({ refunded: 1, error: 0 });
    expect(await attemptsOf(request.requestId)).toMatchObject([{ status: 'refunded' }]);
    const charged = provider.charges.filter((c) => c.paymentId === attempt?.id);
    expect(new Set(charged.map((c) => c.idempotencyKey))).toEqual(new Set([`enroll:${request.requestId}`]));
    expect(provider.refunds.slice(refunds).map((r) => r.idempotencyKey)).toEqual([`refund:${attempt?.id}`]);
    expect(await openGauge()).toBe(0);

    expect((await server.app.payments.reconciler.run(later())).refunded).toBe(0);
    expect(provider.refunds.length).toBe(refunds + 1);
  });

  it('when an attempt whose payment committed is left open, then the reconciler completes it and refunds nothing', async () => {
    const { request, result } = await enroll(2_500n);
    await result;
    await db.query(`update payment_attempts set status = 'open', settle_time = null where request_key = $1`, [
      `enroll:${request.requestId}`,
    ]);
    const refunds = provider.refunds.length;

    expect(await server.app.payments.reconciler.run(later())).toMatchObject({ completed: 1, refunded: 0 });
    expect(await attemptsOf(request.requestId)).toMatchObject([{ status: 'completed' }]);
    expect(provider.refunds.length).toBe(refunds);
  });

  it('when the provider is unreachable at the charge, then a retry with the same request_id reuses the attempt and its key', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 900n });
    const request = { userId, catalogItemId: item.id, requestId: newRequestId() };
    provider.nextCharge = 'throw';
    await failure(call(enrollments.enroll, enrollments, request));
    expect(await attemptsOf(request.requestId)).toMatchObject([{ status: 'open' }]);

    await call(enrollments.enroll, enrollments, request);
    expect(await attemptsOf(request.requestId)).toMatchObject([{ status: 'completed', idempotency_key: `enroll:${request.requestId}` }]);
  });

  it('when the provider declines, then the attempt is FAILED and nothing is refunded', async () => {
    const refunds = provider.refunds.length;
    provider.nextCharge = 'decline';
    const { request, result } = await enroll(700n);
    await failure(result);
    expect(await attemptsOf(request.requestId)).toMatchObject([{ status: 'failed' }]);
    expect(provider.refunds.length).toBe(refunds);
  });
});
