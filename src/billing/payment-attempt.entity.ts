import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const PAYMENT_ATTEMPT_STATUSES = ['open', 'completed', 'refunded', 'failed'] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];

/**
 * A charge about to be asked of the payment provider, written and committed
 * in its own transaction BEFORE the provider is called, so that no money is
 * taken without a row saying so. It stays `open` until it is settled:
 * `completed` in the transaction that records its payment, `failed` when the
 * provider declined, `refunded` when that transaction did not commit (by
 * Enroll itself, or by the PaymentReconciler for attempts left open). No
 * personal data: the provider reference lives on the payment, and the
 * reconciler learns it again from the provider by the idempotency key.
 */
export const PaymentAttemptSchema = defineEntity({
  name: 'PaymentAttempt',
  tableName: 'payment_attempts',
  properties: {
    /** The distribution column: an attempt lives on its payment's shard. */
    userId: p.uuid().primary(),
    /** The id of the payment the attempt becomes. */
    id: p.uuid().primary(),
    /** What the money is for, e.g. `enroll:<request_id>`: a retry of the request reuses its open attempt. */
    requestKey: p.text().index('payment_attempts_request_key_idx'),
    /** Sent to the provider with the charge: the same key twice is one charge. */
    idempotencyKey: p.text(),
    /** The enrollment the charge pays for; no foreign key, it may never have committed. */
    enrollmentId: p.uuid(),
    amount: p.bigint(),
    currency: p.string().length(3),
    status: p.enum(PAYMENT_ATTEMPT_STATUSES),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    settleTime: p.datetime().nullable(),
  },
  // Unique per user: the key is `enroll:<request_id>` or `refund:<payment id>`, a request of that user.
  uniques: [{ name: 'payment_attempts_user_idempotency_key_unique', properties: ['userId', 'idempotencyKey'] }],
  indexes: [
    // Settled by id alone (the reconciler): one probe per shard on Citus.
    { name: 'payment_attempts_id_idx', properties: ['id'] },
    { name: 'payment_attempts_status_create_time_idx', properties: ['status', 'createTime'] },
  ],
  checks: [{ name: 'payment_attempts_amount_check', expression: 'amount > 0' }],
});

export type PaymentAttempt = InferEntity<typeof PaymentAttemptSchema>;
