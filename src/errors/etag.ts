import { DomainError } from './domain-error.js';

/** Etags are the row version as a decimal string; callers treat them as opaque. */
export function etagOf(version: number): string {
  return String(version);
}

/**
 * An Update or Delete that carries an etag applies only to that version; a
 * stale one fails with ABORTED and changes nothing. An empty etag skips the check.
 */
export function checkEtag(current: number, etag: string | undefined, resource: string): void {
  if (etag === undefined || etag === '') return;
  if (etag !== etagOf(current)) {
    throw new DomainError('ABORTED', 'ETAG_MISMATCH', `${resource} was changed since it was read; read it again`, {
      metadata: { currentEtag: etagOf(current) },
    });
  }
}
