import type { EventSubscriber, MikroORM, TransactionEventArgs } from '@mikro-orm/core';
import { timeLeftMs } from './request-scope.js';

/** How the statement timeout reaches PostgreSQL; see docs/scaling.md, "PgBouncer". */
export interface StatementTimeoutSettings {
  readonly statementTimeoutMs: number;
  /**
   * True when the URL is a pooler in transaction mode (PgBouncer): it refuses
   * startup parameters it does not know (statement_timeout among them), and a
   * session `SET` would stay on a server connection that other clients share.
   */
  readonly transactionPooling?: boolean;
}

/** Thrown at start when, behind a transaction pooler, the server would not bound statements. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
}

/**
 * The connection's startup parameters for the timeout: `statement_timeout`
 * straight to PostgreSQL; nothing through a transaction pooler.
 */
export function startupStatementTimeout(settings: StatementTimeoutSettings): { statement_timeout?: number } {
  return settings.transactionPooling ? {} : { statement_timeout: settings.statementTimeoutMs };
}

/**
 * Through a transaction pooler: every transaction the ORM opens (explicit, or
 * the one a flush opens) starts with `SET LOCAL statement_timeout`, the
 * configured bound or the caller's time left if shorter. SET LOCAL ends with
 * the transaction, so nothing stays on the shared server connection.
 */
export function perTransactionStatementTimeout(settings: StatementTimeoutSettings): EventSubscriber[] {
  if (!settings.transactionPooling) return [];
  return [
    {
      afterTransactionStart: async ({ em, transaction }: TransactionEventArgs) => {
        if (transaction === undefined || transaction.savepointName !== undefined) return;
        const left = timeLeftMs();
        const ms = Math.ceil(left === undefined ? settings.statementTimeoutMs : Math.min(left, settings.statementTimeoutMs));
        await em.getConnection().execute(`set local statement_timeout = ${ms}`, [], 'run', transaction);
      },
    },
  ];
}

/**
 * Through a transaction pooler, statements outside a transaction run under
 * the server's default: the role's or the database's `statement_timeout`
 * (`ALTER ROLE ... SET statement_timeout`). The start refuses a default that
 * is off or longer than the configured bound, so the bound is never silently
 * gone. Returns the server's value in ms (undefined straight to PostgreSQL).
 */
export async function checkServerStatementTimeout(orm: MikroORM, settings: StatementTimeoutSettings): Promise<number | undefined> {
  if (!settings.transactionPooling) return undefined;
  const [row] = await orm.em
    .getConnection()
    .execute<{ ms: string }[]>(`select setting as ms from pg_settings where name = 'statement_timeout'`);
  const ms = Number(row?.ms ?? 0);
  if (ms <= 0 || ms > settings.statementTimeoutMs) {
    throw new StatementTimeoutError(
      `DATABASE_POOLER=transaction: the server's statement_timeout is ${ms === 0 ? 'off' : `${ms} ms`}, ` +
        `it must be on and at most STATEMENT_TIMEOUT_MS (${settings.statementTimeoutMs} ms); set it on the service's role, ` +
        `e.g. ALTER ROLE <role> SET statement_timeout = '${settings.statementTimeoutMs}ms'`,
    );
  }
  return ms;
}
