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
export async function claimRequest(tx: EntityManager, claim: RequestClaim): Promise<{ readonly replayOf: string | undefined }> {
  const step = claimStep(claim);
  const inserted = await tx.getConnection().execute<{ id: string }[]>(step.sql, [...step.params], 'all', tx.getTransactionContext());
  return { replayOf: inserted.length > 0 ? undefined : await firstClaimOf(tx, claim) };
}

export interface RequestClaim {
  readonly operation: string;
  readonly requestId: string;
  /** What the request asks, fingerprinted: the same request id with other contents is refused. */
  readonly request: unknown;
  /** The id of the resource this call creates, if it is the first. */
  readonly resourceId: string;
}

/**
 * The claim of claimRequest as one `insert ... returning id` for a statement
 * of the caller's to run as a step of its own WITH (in its transaction): the
 * step returns a row when this call claimed the request id. When it returns
 * none, ask firstClaimOf for what the first call made.
 */
export function claimStep(claim: RequestClaim): { readonly sql: string; readonly params: readonly unknown[] } {
  return {
    sql: `insert into idempotency_records (id, operation, request_id, fingerprint, resource_id, create_time)
     values (?, ?, ?, ?, ?, now()) on conflict (operation, request_id) do nothing returning id`,
    params: [uuidv7(), claim.operation, claim.requestId, fingerprintOf(claim.request), claim.resourceId],
  };
}

/**
 * The resource the first call with this request id made, once a claim found
 * it taken; INVALID_ARGUMENT REQUEST_ID_REUSED when that call asked for
 * something else.
 */
export async function firstClaimOf(tx: EntityManager, claim: RequestClaim): Promise<string> {
  const [first] = await tx
    .getConnection()
    .execute<{ fingerprint: string; resource_id: string }[]>(
      'select fingerprint, resource_id from idempotency_records where operation = ? and request_id = ?',
      [claim.operation, claim.requestId],
      'all',
      tx.getTransactionContext(),
    );
  if (!first) throw new Error('idempotency record disappeared between insert and select');
  if (first.fingerprint !== fingerprintOf(claim.request)) {
    const description = 'request_id was already used for a different request';
    throw new DomainError('INVALID_ARGUMENT', 'REQUEST_ID_REUSED', description, {
      fieldViolations: [{ field: 'request_id', reason: 'REQUEST_ID_REUSED', description }],
    });
  }
  return first.resource_id;
}

function fingerprintOf(request: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(request, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('base64url');
}
