import pg from 'pg';
import type { PostgresOrm } from './postgres.js';

/** The advisory lock every migrator of this service takes (per database: locks do not cross databases). */
export const MIGRATION_LOCK_KEY = 0x63_61_6d_70_75_73_6d_67n; // "campusmg"

/**
 * Applies the pending migrations while holding the migration lock, so that N
 * replicas started at once run each migration exactly once: the first takes
 * the lock and migrates, the others wait, then find nothing pending.
 *
 * The lock is a transaction-scoped advisory lock on a connection of its own,
 * held by an open transaction for as long as the migrator runs. That works
 * straight to PostgreSQL and through a transaction-pooling PgBouncer alike
 * (the pooler keeps one server connection for the whole transaction; a
 * session lock there could be taken on one server connection and released on
 * another). Waiting for the lock is bounded by `waitMs`.
 */
export async function migrateUnderLock(orm: PostgresOrm, url: string, waitMs: number): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url, application_name: 'campus-data-migrate' });
  await lock.connect();
  try {
    await lock.query('begin');
    // Server defaults (a role's statement_timeout, idle-in-transaction limits) must not end the wait or the hold.
    await lock.query(`set local statement_timeout = ${Math.max(1, Math.ceil(waitMs))}`);
    await lock.query('set local idle_in_transaction_session_timeout = 0');
    await lock.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('rollback').catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
