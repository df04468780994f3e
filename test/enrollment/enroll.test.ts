import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { fieldCryptoFor } from '../support/field-keys.js';
import { insertCatalogItem, insertUser, newRequestId, ScriptedProvider, writeCounts } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: EnrollmentServiceClient;
let db: pg.Client;
const provider = new ScriptedProvider();

useTestServer({ overrides: { paymentProvider: provider } }, async (s, scope) => {
  server = s;
  client = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});
beforeEach(() => {
  provider.nextCharge = 'ok';
  provider.nextRefund = 'ok';
});

const enroll = (userId: string, catalogItemId: string, requestId = newRequestId()) =>
  call(client.enroll, client, { userId, catalogItemId, requestId });

describe('Enroll', () => {
  it('when a user enrolls in a free published item, then the enrollment is ACTIVE, unpaid, and audited', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db);
    const charges = provider.charges.length;

    const enrollment = await enroll(userId, item.id);

    expect(enrollment).toMatchObject({ userId, catalogItemId: item.id, status: EnrollmentStatus.ENROLLMENT_STATUS_ACTIVE, etag: '1' });
    expect(enrollment.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(enrollment.enrollTime).toBeInstanceOf(Date);
    expect(enrollment.completeTime).toBeUndefined();
    expect(provider.charges.length).toBe(charges);
    const payments = await db.query('select 1 from payments where enrollment_id = $1', [enrollment.id]);
    expect(payments.rows).toHaveLength(0);
    const audit = await db.query('select action, actor, entity_type from audit_log where entity_id = $1', [enrollment.id]);
    expect(audit.rows).toEqual([{ action: 'enrollment.created', actor: server.admin.id, entity_type: 'enrollment' }]);
    expect(await call(client.getEnrollment, client, { id: enrollment.id })).toEqual(enrollment);
  });

  it('when the item is priced, then one SUCCEEDED payment of its price commits with the enrollment and both audit entries', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 4_999n, currency: 'EUR' });
    const requestId = newRequestId();

    const enrollment = await enroll(userId, item.id, requestId);

    const { rows: payments } = await db.query(
      'select id, user_id, amount, currency, status, provider_ref from payments where enrollment_id = $1',
      [enrollment.id],
    );
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ user_id: userId, amount: '4999', currency: 'EUR', status: 'succeeded' });
    // Sealed at rest; opened here with the test keys.
    expect(fieldCryptoFor().keyRing.open(payments[0].provider_ref, 'payments.provider_ref')).toMatch(/^local_[0-9a-f]{24}$/);
    const charge = provider.charges.at(-1);
    expect(charge).toMatchObject({
      paymentId: payments[0].id,
      userId,
      amount: 4_999n,
      currency: 'EUR',
      idempotencyKey: `enroll:${requestId}`,
    });
    const { rows: audit } = await db.query('select action, entity_id from audit_log where entity_id = any($1) order by action', [
      [enrollment.id, payments[0].id],
    ]);
    expect(audit).toEqual([
      { action: 'enrollment.created', entity_id: enrollment.id },
      { action: 'payment.succeeded', entity_id: payments[0].id },
    ]);
  });

  it('when the same request_id is sent again, then the first enrollment is returned and nothing more is written or charged', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 1_000n });
    const requestId = newRequestId();
    const first = await enroll(userId, item.id, requestId);
    const before = await writeCounts(db);
    const charges = provider.charges.length;

    const again = await enroll(userId, item.id, requestId);

    expect(again).toEqual(first);
    expect(await writeCounts(db)).toEqual(before);
    expect(provider.charges.length).toBe(charges);
  });

  it('when a request_id is reused for another item, then INVALID_ARGUMENT names request_id', async () => {
    const userId = await insertUser(db);
    const [a, b] = [await insertCatalogItem(db), await insertCatalogItem(db)];
    const requestId = newRequestId();
    await enroll(userId, a.id, requestId);

    const err = await failure(enroll(userId, b.id, requestId));

    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'request_id', reason: 'REQUEST_ID_REUSED' }]);
  });

  it('when 50 identical Enroll calls race, then all succeed with one enrollment id, and one enrollment and one payment exist', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 2_500n, currency: 'USD' });
    const requestId = newRequestId();
    const charges = provider.charges.length;

    const results = await Promise.all(Array.from({ length: 50 }, () => enroll(userId, item.id, requestId)));

    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const enrollments = await db.query('select id from enrollments where user_id = $1', [userId]);
    expect(enrollments.rows).toEqual([{ id: results[0]?.id }]);
    const payments = await db.query('select amount from payments where user_id = $1', [userId]);
    expect(payments.rows).toEqual([{ amount: '2500' }]);
    expect(provider.charges.length - charges).toBe(1);
  });

  it('when different request_ids race for the same user and item, then one enrolls and the others get ALREADY_EXISTS before any charge', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 700n });
    const charges = provider.charges.length;

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => enroll(userId, item.id)));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.ALREADY_EXISTS);
    expect(provider.charges.length - charges).toBe(1);
    const payments = await db.query('select 1 from payments where user_id = $1', [userId]);
    expect(payments.rows).toHaveLength(1);
  });

  it('when the user is already enrolled and sends a new request_id, then ALREADY_EXISTS and nothing is written', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 100n });
    await enroll(userId, item.id);
    const before = await writeCounts(db);

    const err = await failure(enroll(userId, item.id));

    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.reason).toBe('ALREADY_ENROLLED');
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the enrollment was cancelled, then enrolling again is FAILED_PRECONDITION ENROLLMENT_CANCELLED', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db);
    const enrollment = await enroll(userId, item.id);
    await call(client.cancelEnrollment, client, { id: enrollment.id, etag: '', requestId: '' });

    const err = await failure(enroll(userId, item.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('ENROLLMENT_CANCELLED');
  });

  it('when the user does not exist, then NOT_FOUND names the user and nothing is written', async () => {
    const item = await insertCatalogItem(db, { priceAmount: 100n });
    const userId = '01900000-0000-7000-8000-000000000001';
    const before = await writeCounts(db);

    const err = await failure(enroll(userId, item.id));

    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'User', name: userId });
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the catalog item does not exist, then NOT_FOUND names the item', async () => {
    const userId = await insertUser(db);
    const itemId = '01900000-0000-7000-8000-000000000002';

    const err = await failure(enroll(userId, itemId));

    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'CatalogItem', name: itemId });
  });

  it('when the item is not published, then FAILED_PRECONDITION with a PreconditionFailure and nothing is written', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { published: false, priceAmount: 100n });
    const before = await writeCounts(db);

    const err = await failure(enroll(userId, item.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('ITEM_NOT_PUBLISHED');
    expect(err.preconditions).toEqual([{ type: 'PUBLICATION', subject: `catalog_items/${item.id}` }]);
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the provider declines the charge, then FAILED_PRECONDITION PAYMENT_DECLINED and nothing is written', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 100n });
    const before = await writeCounts(db);
    provider.nextCharge = 'decline';

    const err = await failure(enroll(userId, item.id));

    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('PAYMENT_DECLINED');
    expect(err.preconditions).toHaveLength(1);
    expect(await writeCounts(db)).toEqual(before);
  });

  it('when the provider throws mid-way, then UNAVAILABLE and no enrollment, payment, audit or idempotency row exists; a retry succeeds', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 100n });
    const requestId = newRequestId();
    const before = await writeCounts(db);
    provider.nextCharge = 'throw';

    const err = await failure(enroll(userId, item.id, requestId));

    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.reason).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    expect(err.message).not.toContain('ETIMEDOUT');
    expect(await writeCounts(db)).toEqual(before);
    const retried = await enroll(userId, item.id, requestId);
    expect(retried.status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_ACTIVE);
  });

  it('when the payment insert fails after the charge, then nothing is written and the charge is refunded', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 300n });
    const before = await writeCounts(db);
    const refunds = provider.refunds.length;
    // The database refuses this user's payment: the failure comes from PostgreSQL itself.
    await db.query(`create function refuse_payment() returns trigger language plpgsql as $$
      begin if new.user_id = '${userId}' then raise exception 'payments refused'; end if; return new; end $$`);
    await db.query('create trigger refuse_payment before insert on payments for each row execute function refuse_payment()');
    try {
      const err = await failure(enroll(userId, item.id));

      expect(err.code).toBe(status.INTERNAL);
      expect(err.message).toBe('internal error');
    } finally {
      await db.query('drop trigger refuse_payment on payments');
      await db.query('drop function refuse_payment()');
    }
    expect(await writeCounts(db)).toEqual(before);
    expect(provider.refunds.length - refunds).toBe(1);
    expect(provider.refunds.at(-1)).toMatchObject({ amount: 300n, currency: 'EUR' });
  });

  it('when the ids and request_id are missing or malformed, then INVALID_ARGUMENT names each field', async () => {
    const err = await failure(call(client.enroll, client, { userId: 'nope', catalogItemId: '', requestId: '' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([
      { field: 'user_id', reason: 'INVALID_UUID' },
      { field: 'catalog_item_id', reason: 'FIELD_REQUIRED' },
      { field: 'request_id', reason: 'FIELD_REQUIRED' },
    ]);
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db);
    const bad = await failure(enroll(userId, item.id, 'retry-1'));
    expect(bad.fieldViolations).toEqual([{ field: 'request_id', reason: 'INVALID_UUID' }]);
  });
});
