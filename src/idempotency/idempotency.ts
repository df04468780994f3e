import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { DomainError } from '../errors/domain-error.js';

/**
 * AIP-155 request ids. Inside the caller's transaction, `claimRequest` either
 * reserves the request id for `resourceId` (the first call: go on and create
 * it) or returns the id of the resource the first call created. Concurrent
 * calls with one request id queue on the unique index until the first commits
 * (they then replay it) or rolls back (one of them then does the work), so
 * the work happens exactly once.
 */
export async function claimRequest(
  tx: EntityManager,
  claim: { readonly operation: string; readonly requestId: string; readonly request: unknown; readonly resourceId: string },
): Promise<{ readonly replayOf: string | undefined }> {
  const fingerprint = fingerprintOf(claim.request);
  const conn = tx.getConnection();
  const ctx = tx.getTransactionContext();
  const inserted = await conn.execute<{ id: string }[]>(
    `insert into idempotency_records (id, operation, request_id, fingerprint, resource_id, create_time)
     values (?, ?, ?, ?, ?, now()) on conflict (operation, request_id) do nothing returning id`,
    [uuidv7(), claim.operation, claim.requestId, fingerprint, claim.resourceId],
    'all',
    ctx,
  );
  if (inserted.length > 0) return { replayOf: undefined };
  const [first] = await conn.execute<{ fingerprint: string; resource_id: string }[]>(
    'select fingerprint, resource_id from idempotency_records where operation = ? and request_id = ?',
    [claim.operation, claim.requestId],
    'all',
    ctx,
  );
  if (!first) throw new Error('idempotency record disappeared between insert and select');
  if (first.fingerprint !== fingerprint) {
    const description = 'request_id was already used for a different request';
    throw new DomainError('INVALID_ARGUMENT', 'REQUEST_ID_REUSED', description, {
      fieldViolations: [{ field: 'request_id', reason: 'REQUEST_ID_REUSED', description }],
    });
  }
  return { replayOf: first.resource_id };
}

function fingerprintOf(request: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(request, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('base64url');
}
