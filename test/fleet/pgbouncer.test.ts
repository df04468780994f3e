import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openPostgres } from '../../src/db/postgres.js';
import { StatementTimeoutError } from '../../src/db/statement-timeout.js';
import { transactional } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logger.js';
import { openStores } from '../../src/stores.js';
import { type OwnCatalogFixture, startCatalogFixture } from '../catalog/catalog-fixture.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';
import { call } from '../support/grpc.js';
import { PgBouncer, setDatabaseStatementTimeout, throughPgBouncer } from '../support/pgbouncer.js';

/** The server's default for statements outside a transaction, and the service's bound for those inside one. */
const SERVER_DEFAULT_MS = 400;
const STATEMENT_TIMEOUT_MS = 2_000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let routed: Awaited<ReturnType<typeof throughPgBouncer>>;
let f: OwnCatalogFixture;

beforeAll(async () => {
  db = await createTestDatabase();
  routed = await throughPgBouncer(db.url, STATEMENT_TIMEOUT_MS);
  await setDatabaseStatementTimeout(db.url, SERVER_DEFAULT_MS);
  // Migrated through the bouncer too: the migration lock holds in transaction mode.
  f = await startCatalogFixture({ ...routed.env, CACHE_ENABLED: 'false' });
});
afterAll(async () => {
  await f?.close();
  await routed?.stop();
  await db?.drop();
});

/** Runs `fn` while another session holds an ACCESS EXCLUSIVE lock on catalog_items (straight to PostgreSQL). */
async function withCatalogLocked<T>(fn: () => Promise<T>): Promise<T> {
  const locker = await rawClient(db.url);
  try {
    await locker.query('begin');
    await locker.query('lock table catalog_items in access exclusive mode');
    return await fn();
  } finally {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
  }
}

/** Backends of the test database waiting on a lock right now. */
async function waitingOnLocks(): Promise<number> {
  const client = await rawClient(db.url);
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(*)::text as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

async function timed(promise: Promise<unknown>): Promise<{ ms: number; failed: boolean }> {
  const started = performance.now();
  const failed = await promise.then(
    () => false,
    () => true,
  );
  return { ms: performance.now() - started, failed };
}

describe('PgBouncer 1.18 in transaction mode', () => {
  it('when the service runs through it, then it starts, answers, and its traffic goes through the bouncer', async () => {
    const item = await f.createItem({ title: 'Pooled' });
    expect((await call(f.client.getCatalogItem, f.client, { id: item.id })).title).toBe('Pooled');
    const admin = await rawClient(`postgres://postgres@127.0.0.1:${routed.bouncer.port}/pgbouncer`);
    try {
      const { rows } = await admin.query<{ database: string; total_xact_count: string }>('show stats');
      const mine = rows.find((r) => r.database === new URL(db.url).pathname.slice(1));
      expect(Number(mine?.total_xact_count)).toBeGreaterThan(10);
    } finally {
      await admin.end();
    }
  });

  it('when a client sends a statement_timeout startup parameter, then the bouncer refuses it (why the service sends none)', async () => {
    const bouncer = await PgBouncer.start(db.url);
    try {
      const direct = new pg.Client({ connectionString: bouncer.urlFor(db.url), statement_timeout: 1000 });
      await expect(direct.connect()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
      await direct.end().catch(() => undefined);
    } finally {
      await bouncer.stop();
    }
  });

  it('when a read outside a transaction is blocked, then the server default cancels it on the server', async () => {
    const item = await f.createItem();
    const { ms, failed } = await withCatalogLocked(async () => {
      const result = await timed(call(f.client.getCatalogItem, f.client, { id: item.id }));
      expect(await waitingOnLocks()).toBe(0);
      return result;
    });
    expect(failed).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(SERVER_DEFAULT_MS - 50);
    expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS - 200);
  });

  it('when a write in a transaction is blocked, then SET LOCAL statement_timeout cancels it at the configured bound', async () => {
    const item = await f.createItem();
    const { ms, failed } = await withCatalogLocked(async () => {
      const update = call(f.client.updateCatalogItem, f.client, {
        catalogItem: { ...item, title: 'Renamed' },
        updateMask: ['title'],
      });
      const result = await timed(update);
      expect(await waitingOnLocks()).toBe(0);
      return result;
    });
    expect(failed).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 3_000);
    expect((await call(f.client.getCatalogItem, f.client, { id: item.id })).title).toBe(item.title);
  });

  it('when transactions set their timeout, then nothing stays on the shared server connections (no SET, no prepared statements)', async () => {
    const orm = await openPostgres({
      url: routed.env.DATABASE_URL ?? '',
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      transactionPooling: true,
    });
    try {
      const inside = await transactional(orm.em.fork(), async (tx) =>
        tx
          .getConnection()
          .execute<{ t: string }[]>(`select current_setting('statement_timeout') as t`, [], 'all', tx.getTransactionContext()),
      );
      expect(inside[0]?.t).toBe('2s');
      for (let i = 0; i < 20; i++) await f.createItem({ title: `Traffic ${i}` });
      // More clients at once than the pool has server connections: every one of them is seen.
      const seen = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const client = await rawClient(routed.env.DATABASE_URL ?? '');
          try {
            const { rows } = await client.query<{ t: string; prepared: string; pid: number }>(
              `select current_setting('statement_timeout') as t, (select count(*) from pg_prepared_statements)::text as prepared, pg_backend_pid() as pid, pg_sleep(0.05)`,
            );
            return rows[0];
          } finally {
            await client.end();
          }
        }),
      );
      expect(new Set(seen.map((r) => r?.pid)).size).toBeGreaterThan(1);
      for (const row of seen) expect(row).toMatchObject({ t: `${SERVER_DEFAULT_MS}ms`, prepared: '0' });
    } finally {
      await orm.close();
    }
  });

  it('when the server has no statement timeout of its own, then the service refuses to start through the bouncer', async () => {
    const other = await createTestDatabase();
    const bouncer = await PgBouncer.start(other.url);
    try {
      const orm = await openPostgres({ url: other.url, statementTimeoutMs: 60_000 });
      await orm.migrator.up();
      await orm.close();
      const config = loadConfig({
        DATABASE_URL: bouncer.urlFor(other.url),
        DATABASE_POOLER: 'transaction',
        STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: 'test:pgbouncer:',
        ...TEST_FIELD_KEYS_ENV,
      });
      const refused = await openStores(config, createLogger('silent')).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StatementTimeoutError);
      expect(String(refused)).toMatch(/statement_timeout is off.*ALTER ROLE/);
    } finally {
      await bouncer.stop();
      await other.drop();
    }
  });
});
