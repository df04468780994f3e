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
