import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { rawQuery } from '../db/raw-query.js';
import { aborted } from '../errors/domain-error.js';
import { PaymentSchema } from './payment.entity.js';
import type { PaymentAttemptStatus } from './payment-attempt.entity.js';
import type { PaymentProvider } from './payment-provider.js';

export interface OpenAttempt {
  /** What the money is for, e.g. `enroll:<request_id>`. */
  readonly requestKey: string;
  readonly userId: string;
  readonly enrollmentId: string;
  readonly amount: bigint;
  readonly currency: string;
}

/** An attempt as the provider is told about it: its id is the payment id. */
export interface Attempt {
  readonly id: string;
  readonly idempotencyKey: string;
}

/**
 * Records a payment attempt and COMMITS it (one statement, outside any
 * transaction) before the caller asks the provider for the money. An open
 * attempt of the same request is reused (its key tells the provider it is the same charge);
 * one that was already settled gets a successor with a fresh key, since its
 * key's charge was given back or declined.
 */
export async function openAttempt(em: EntityManager, attempt: OpenAttempt, now = new Date()): Promise<Attempt & OpenAttempt> {
  // One statement, so no transaction of its own: reuse the open attempt (locked), else insert the next one. Concurrent
  // calls of one request: the one whose insert loses (the key is taken) takes the winner's attempt on the next turn.
  for (;;) {
    const created = uuidv7();
    const [row] = await rawQuery<{ id: string; idempotency_key: string }>(
      em,
      `with reused as (
         update payment_attempts set enrollment_id = ?::uuid, update_time = ?::timestamptz
          where user_id = ?::uuid and id = (select id from payment_attempts
                       where user_id = ?::uuid and request_key = ?::text and status = 'open' and amount = ?::bigint and currency = ?::text
                       order by create_time desc limit 1 for update)
          returning id, idempotency_key
       ), created as (
         insert into payment_attempts (id, request_key, idempotency_key, user_id, enrollment_id, amount, currency, status, create_time, update_time)
         select ?::uuid, ?::text, case when earlier.n = 0 then ?::text else ?::text || ':' || (earlier.n + 1) end,
                ?::uuid, ?::uuid, ?::bigint, ?::text, 'open', ?::timestamptz, ?::timestamptz
           from (select count(*)::int as n from payment_attempts where user_id = ?::uuid and request_key = ?::text) as earlier
          where not exists (select 1 from reused)
         on conflict (user_id, idempotency_key) do nothing
         returning id, idempotency_key
       )
       select id, idempotency_key from reused union all select id, idempotency_key from created`,
      [
        ...[attempt.enrollmentId, now, attempt.userId, attempt.userId, attempt.requestKey, attempt.amount, attempt.currency],
        ...[created, attempt.requestKey, attempt.requestKey, attempt.requestKey],
        ...[attempt.userId, attempt.enrollmentId, attempt.amount, attempt.currency, now, now, attempt.userId, attempt.requestKey],
      ],
    );
    if (row) return { ...attempt, id: row.id, idempotencyKey: row.idempotency_key };
  }
}

/** The succeeded payment a completed attempt leaves, as the charge answered. */
export interface SucceededPayment {
  readonly userId: string;
  readonly enrollmentId: string;
  readonly amount: bigint;
  readonly currency: string;
  /** The provider's reference for the charge; sealed before it is written (personal data). */
  readonly providerRef: string;
}

/**
 * Marks the attempt COMPLETED and writes its succeeded payment (the
 * attempt's id), in one statement of the transaction that records the
 * enrollment. The row lock it takes keeps the reconciler off until that
 * transaction ends; an attempt the reconciler settled first (refunded)
 * writes nothing and fails the transaction with ABORTED, so no enrollment
 * stands on refunded money.
 */
export async function completeAttempt(tx: EntityManager, id: string, payment: SucceededPayment, now = new Date()): Promise<void> {
  // Sealed by the column's own type (EncryptedText), as a flush of the entity would.
  const providerRef = tx.getMetadata().get(PaymentSchema).properties.providerRef.customType;
  if (!providerRef) throw new Error('payments.provider_ref has no column type to seal it');
  const sealed = providerRef.convertToDatabaseValue(payment.providerRef, tx.getPlatform());
  const rows = (
    await rawQuery<{ id: string }>(
      tx,
      `with completed as (
         update payment_attempts set enrollment_id = ?, status = 'completed', settle_time = ?, update_time = ?
          where id = ? and status = 'open' returning id
       )
       insert into payments (user_id, id, enrollment_id, amount, currency, status, provider_ref, create_time, update_time)
       select ?, completed.id, ?, ?::bigint, ?, 'succeeded', ?, ?, ? from completed
       returning id`,
      [
        payment.enrollmentId,
        now,
        now,
        id,
        payment.userId,
        payment.enrollmentId,
        payment.amount.toString(),
        payment.currency,
        sealed,
        now,
        now,
      ],
    )
  ).length;
  if (rows === 0) throw aborted('PAYMENT_ATTEMPT_SETTLED', 'the payment was settled meanwhile; retry with the same request_id');
}

/** Marks an open attempt FAILED (the provider declined: no money was taken), in its own transaction. */
export async function failAttempt(em: EntityManager, id: string, now = new Date()): Promise<void> {
  await em.fork().transactional((tx) => settle(tx, id, 'failed', now));
}

export type Settlement = 'completed' | 'refunded' | 'failed' | 'skipped';

/**
 * Settles one open attempt, in a transaction of its own that holds its row
 * lock: COMPLETED when its payment committed; otherwise the money goes back:
 * the provider is asked for the charge again by the attempt's idempotency
 * key (which returns the charge it made, if any, or makes it, so that
 * an unknown outcome becomes a known one), and what was charged is refunded.
 * `skipped` when the attempt is not open or another transaction holds it.
 * A provider that fails leaves the attempt open for the next run.
 */
export async function settleAttempt(em: EntityManager, provider: PaymentProvider, id: string, now = new Date()): Promise<Settlement> {
  return em.fork().transactional(async (tx) => {
    const [attempt] = await rawQuery<{ idempotency_key: string; user_id: string; amount: string; currency: string; paid: boolean }>(
      tx,
      `select idempotency_key, user_id, amount::text as amount, currency, exists(select 1 from payments p where p.id = a.id) as paid
         from payment_attempts a where id = ? and status = 'open' for update skip locked`,
      [id],
    );
    if (!attempt) return 'skipped';
    if (attempt.paid) {
      await settle(tx, id, 'completed', now);
      return 'completed';
    }
    const money = { amount: BigInt(attempt.amount), currency: attempt.currency };
    const charged = await provider.charge({ paymentId: id, userId: attempt.user_id, idempotencyKey: attempt.idempotency_key, ...money });
    if (charged.status !== 'succeeded') {
      await settle(tx, id, 'failed', now);
      return 'failed';
    }
    const refunded = await provider.refund({ providerRef: charged.providerRef, idempotencyKey: `refund:${id}`, ...money });
    if (refunded.status !== 'succeeded') throw new Error(`the provider declined the refund of payment attempt ${id}`);
    await settle(tx, id, 'refunded', now);
    return 'refunded';
  });
}

async function settle(tx: EntityManager, id: string, status: Exclude<PaymentAttemptStatus, 'open'>, now: Date): Promise<number> {
  const rows = await rawQuery<{ id: string }>(
    tx,
    `update payment_attempts set status = ?, settle_time = ?, update_time = ? where id = ? and status = 'open' returning id`,
    [status, now, now, id],
  );
  return rows.length;
}
