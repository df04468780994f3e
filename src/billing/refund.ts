import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../audit/audit-log.js';
import { failedPrecondition } from '../errors/domain-error.js';
import type { Payment } from './payment.entity.js';
import { callProvider, type PaymentProvider } from './payment-provider.js';

/**
 * Gives a succeeded payment's money back through the provider and marks it
 * REFUNDED, with its audit entry, in the caller's transaction. The caller
 * holds the payment's row lock and has checked that it is SUCCEEDED, so a
 * payment is refunded once. A declined refund is FAILED_PRECONDITION and
 * changes nothing.
 */
export async function refundPayment(
  tx: EntityManager,
  provider: PaymentProvider,
  payment: Payment,
  actor: string,
  at: Date,
): Promise<void> {
  const result = await callProvider(() =>
    provider.refund({
      providerRef: payment.providerRef ?? '',
      amount: payment.amount,
      currency: payment.currency,
      // One payment is refunded once: a retry after a lost answer is the same refund.
      idempotencyKey: `refund:${payment.id}`,
    }),
  );
  if (result.status !== 'succeeded') {
    throw failedPrecondition('REFUND_DECLINED', {
      type: 'PAYMENT_PROVIDER',
      subject: `payments/${payment.id}`,
      description: 'the payment provider declined the refund',
    });
  }
  payment.status = 'refunded';
  payment.refundTime = at;
  payment.updateTime = at;
  recordAudit(tx, {
    actor,
    action: 'payment.refunded',
    entityId: payment.id,
    diff: { status: ['succeeded', 'refunded'], refund_time: [null, at.toISOString()] },
  });
}
