import { setTimeout as sleep } from 'node:timers/promises';
import { migrations } from './migrations/index.js';
import type { PostgresOrm } from './postgres.js';

/** Thrown when the database still lacks migrations this version needs after the wait. */
export class SchemaNotReadyError extends Error {
  override readonly name = 'SchemaNotReadyError';
}

const POLL_MS = 250;

/**
 * Resolves once every migration this version ships has been applied to the
 * database (a newer schema, with migrations this version does not know, is
 * fine: migrations only add what older versions can ignore). Until then it
 * polls, for at most `waitMs`, and then throws: a replica never serves on a
 * schema older than its code. It only reads; migrating is `npm run migrate`'s job.
 */
export async function awaitSchema(orm: PostgresOrm, waitMs: number, onWait?: (missing: string[]) => void): Promise<void> {
  const giveUpAt = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const missing = await missingMigrations(orm);
    if (missing.length === 0) return;
    if (Date.now() >= giveUpAt) {
      throw new SchemaNotReadyError(
        `the database lacks ${missing.length} migration(s) this version needs (${missing.join(', ')}): run npm run migrate`,
      );
    }
    if (!told) onWait?.(missing);
    told = true;
    await sleep(Math.min(POLL_MS, Math.max(1, giveUpAt - Date.now())));
  }
}

/** Names of this version's migrations the database has not applied, in order. */
export async function missingMigrations(orm: PostgresOrm): Promise<string[]> {
  const conn = orm.em.getConnection();
  const [table] = await conn.execute<{ t: string | null }[]>(`select to_regclass('mikro_orm_migrations')::text as t`);
  const applied = new Set<string>();
  if (table?.t) {
    for (const row of await conn.execute<{ name: string }[]>('select name from mikro_orm_migrations')) applied.add(row.name);
  }
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}
