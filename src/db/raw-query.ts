import type { EntityManager } from '@mikro-orm/core';

/**
 * Runs one SQL statement (`?` placeholders) on `em`'s connection, inside its
 * transaction when it has one, and returns the rows. For the hot paths whose
 * whole answer is one hand-written statement.
 */
export function rawQuery<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  return em.getConnection().execute<Row[]>(sql, [...params], 'all', em.getTransactionContext());
}
