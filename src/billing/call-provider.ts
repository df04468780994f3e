import { DomainError } from '../errors/domain-error.js';

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
