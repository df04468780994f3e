import type { EntityManager } from '@mikro-orm/core';
import { timeLeftMs } from './request-scope.js';

/**
 * Runs `fn` as one PostgreSQL transaction (one unit of work, flushed at the
 * end). When the caller set a deadline, no statement of the transaction may run
 * past it: the time left becomes its `statement_timeout`.
 */
export async function transactional<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.transactional(async (tx) => {
    const left = timeLeftMs();
    if (left !== undefined) {
      await tx.getConnection().execute(`set local statement_timeout = ${Math.ceil(left)}`, [], 'run', tx.getTransactionContext());
    }
    return fn(tx);
  });
}
