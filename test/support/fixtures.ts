import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { localPaymentProvider } from '../../src/billing/local-payment-provider.js';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../../src/billing/payment-provider.js';
import { sealedUser } from './field-keys.js';

/**
 * The one place rows are written straight to PostgreSQL: the facts other
 * services own (users, catalog items, lessons, enrollments) that a test of a
 * service that only reads them needs, sealed as the service seals them.
 * Everything else a test makes goes through the API (builders.ts).
 */
export async function insertUser(
  db: pg.Client,
  user: { role?: 'student' | 'instructor' | 'admin'; deleted?: boolean; name?: string } = {},
): Promise<string> {
  const id = uuidv7();
  const sealed = sealedUser(user.name ?? 'Test Learner', `learner-${id}@example.test`);
  await db.query(
    `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time, delete_time)
     values ($1, $2, $3, $4, $5, 'not-a-hash', now(), now(), $6)`,
    [id, sealed.name, sealed.email, sealed.emailKey, user.role ?? 'student', user.deleted ? new Date() : null],
  );
  return id;
}

export async function insertCatalogItem(
  db: pg.Client,
  item: {
    priceAmount?: bigint;
    currency?: string;
    published?: boolean;
    lessons?: number;
    title?: string;
    instructorId?: string | null;
  } = {},
): Promise<{ id: string; lessonIds: string[] }> {
  const id = uuidv7();
  await db.query(
    `insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time)
     values ($1, $2, 'About things', $3, $4, $5, $6, now(), now())`,
    [
      id,
      item.title ?? 'A course',
      (item.priceAmount ?? 0n).toString(),
      item.currency ?? 'EUR',
      item.published ?? true,
      item.instructorId ?? null,
    ],
  );
  const lessonIds: string[] = [];
  for (let position = 1; position <= (item.lessons ?? 0); position++) lessonIds.push(await insertLesson(db, id, position));
  return { id, lessonIds };
}

export async function insertLesson(db: pg.Client, catalogItemId: string, position: number): Promise<string> {
  const id = uuidv7();
  await db.query(
    `insert into lessons (id, catalog_item_id, title, position, create_time, update_time) values ($1, $2, $3, $4, now(), now())`,
    [id, catalogItemId, `Lesson ${position}`, position],
  );
  return id;
}

export async function insertEnrollment(
  db: pg.Client,
  userId: string,
  catalogItemId: string,
  status: 'active' | 'completed' | 'cancelled' = 'active',
): Promise<string> {
  const id = uuidv7();
  await db.query(`insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at) values ($1, $2, $3, $4, now())`, [
    id,
    userId,
    catalogItemId,
    status,
  ]);
  return id;
}

/** Row counts of every table an enrollment writes to. */
export async function writeCounts(db: pg.Client): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `select (select count(*)::int from enrollments) as enrollments,
            (select count(*)::int from payments) as payments,
            (select count(*)::int from audit_log) as audit,
            (select count(*)::int from idempotency_records) as idempotency,
            (select count(*)::int from lesson_progress) as progress`,
  );
  return rows[0] ?? {};
}

export const newRequestId = (): string => randomUUID();

/**
 * The local provider, with the calls it received recorded and the next
 * answers scriptable: `decline` resolves `failed`, `throw` rejects as an
 * unreachable provider would.
 */
export class ScriptedProvider implements PaymentProvider {
  readonly charges: ChargeRequest[] = [];
  readonly refunds: RefundRequest[] = [];
  nextCharge: 'ok' | 'decline' | 'throw' = 'ok';
  nextRefund: 'ok' | 'decline' | 'throw' = 'ok';
  private readonly local = localPaymentProvider();

  async charge(request: ChargeRequest) {
    const mode = this.nextCharge;
    this.nextCharge = 'ok';
    if (mode === 'throw') throw new Error('connect ETIMEDOUT payments.example.test');
    this.charges.push(request);
    const result = await this.local.charge(request);
    return mode === 'decline' ? { ...result, status: 'failed' as const } : result;
  }

  async refund(request: RefundRequest) {
    const mode = this.nextRefund;
    this.nextRefund = 'ok';
    if (mode === 'throw') throw new Error('connect ETIMEDOUT payments.example.test');
    if (mode === 'decline') return { status: 'failed' as const };
    this.refunds.push(request);
    return this.local.refund(request);
  }
}
