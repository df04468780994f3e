import { DomainError } from '../errors/domain-error.js';

/** A charge request; `amount` is in minor units of `currency` (ISO 4217). */
export interface ChargeRequest {
  readonly paymentId: string;
  readonly userId: string;
  readonly amount: bigint;
  readonly currency: string;
  /** The same key twice must not charge twice (a retry of one request). */
  readonly idempotencyKey: string;
}

export interface RefundRequest {
  readonly providerRef: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly idempotencyKey: string;
}

/**
 * Where money is taken and given back. A declined charge or refund resolves
 * with `failed`; a provider that cannot be reached rejects.
 */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<{ providerRef: string; status: 'succeeded' | 'failed' }>;
  refund(request: RefundRequest): Promise<{ status: 'succeeded' | 'failed' }>;
}

/**
 * Calls the payment provider; a provider that throws (unreachable, timed out)
 * becomes UNAVAILABLE, so the caller retries with the same request_id rather
 * than seeing INTERNAL. The cause goes to the log, not to the caller.
 */
export async function callProvider<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new DomainError(
      'UNAVAILABLE',
      'PAYMENT_PROVIDER_UNAVAILABLE',
      'the payment provider is unavailable; retry later',
      {},
      { cause: err },
    );
  }
}
