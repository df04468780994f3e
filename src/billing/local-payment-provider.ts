import { createHash } from 'node:crypto';
import type { PaymentProvider } from './payment-provider.js';

/**
 * The built-in provider: no network, no money moves, every charge and refund
 * succeeds. Deterministic, so a retried charge yields the same reference:
 * `local_` and a hash of the payment id.
 */
export function localPaymentProvider(): PaymentProvider {
  return {
    charge: async ({ paymentId }) => ({
      providerRef: `local_${createHash('sha256').update(paymentId).digest('hex').slice(0, 24)}`,
      status: 'succeeded',
    }),
    refund: async () => ({ status: 'succeeded' }),
  };
}
