import type { EntityManager } from '@mikro-orm/core';
import { noteCommit } from './replicas/read-scope.js';

/**
 * Runs one SQL statement (`?` placeholders) on `em`'s connection, inside its
 * transaction when it has one, and returns the rows. For the hot paths whose
 * whole answer is one hand-written statement.
 */
export function rawQuery<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  return em.getConnection().execute<Row[]>(sql, [...params], 'all', em.getTransactionContext());
}

/**
 * Runs one data-modifying statement on its own, outside any transaction (it
 * commits as it ends), and counts it as the call's write: the call's answer
 * then carries the primary's WAL position past it, as after a committed
 * transaction, so the caller's next reads include it (see ReadRouter).
 */
export async function rawWrite<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  try {
    return await rawQuery<Row>(em, sql, params);
  } finally {
    // Also when it failed: the client cannot tell whether a statement cut short committed.
    noteCommit();
  }
}
