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
 * Every transaction the ORM opens (explicit, or the one a flush opens) is
 * bounded by the configured timeout or the caller's time left, whichever is
 * shorter, with one `SET LOCAL statement_timeout` when it needs one: through a
 * transaction pooler always (the connection has no bound of its own; SET
 * LOCAL ends with the transaction, so nothing stays on the shared server
 * connection); straight to PostgreSQL only when the caller's time left is
 * shorter than the bound the connection started with, which covers the rest
 * without a round trip.
 */
export function perTransactionStatementTimeout(settings: StatementTimeoutSettings): EventSubscriber[] {
  return [
    {
      afterTransactionStart: async ({ em, transaction }: TransactionEventArgs) => {
        if (transaction === undefined || transaction.savepointName !== undefined) return;
        const left = timeLeftMs();
        const bound = settings.statementTimeoutMs;
        if (!settings.transactionPooling && (left === undefined || left >= bound)) return;
        const ms = Math.ceil(left === undefined ? bound : Math.min(left, bound));
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
