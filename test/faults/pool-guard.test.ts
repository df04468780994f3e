import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresOrm } from '../../src/db/postgres.js';
import { runInRequestScope } from '../../src/db/request-scope.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// The ORM's pool against a real PostgreSQL, through a proxy the test cuts and stalls.

let db: { url: string; drop(): Promise<void> };
let proxy: TcpProxy;
let watcher: pg.Client;
const opened: PostgresOrm[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await TcpProxy.start(Number(new URL(db.url).port));
  watcher = await rawClient(db.url);
});

afterAll(async () => {
  for (const orm of opened) await orm.close(true).catch(() => undefined);
  await watcher?.end();
  await proxy?.close();
  await db?.drop();
});

async function open(settings: { poolMax: number; statementTimeoutMs: number }): Promise<{ orm: PostgresOrm; pool: pg.Pool }> {
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const orm = await openPostgres({ url: url.toString(), ...settings });
  opened.push(orm);
  const pool = (await orm.em.getConnection().getNativeClient()) as unknown as pg.Pool;
  return { orm, pool };
}

function select(orm: PostgresOrm, sql: string): Promise<unknown> {
  return orm.em.fork().getConnection().execute(sql);
}

/** Backends of the test database other than the watcher, by state. */
async function sessions(): Promise<{ state: string; query: string }[]> {
  const { rows } = await watcher.query<{ state: string; query: string }>(
    'select state, query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = $1',
    ['client backend'],
  );
  return rows;
}

describe('the PostgreSQL pool under faults', () => {
  it('gives back the connection of every transaction a partition cut, so the pool serves again once it heals', async () => {
    const { orm, pool } = await open({ poolMax: 2, statementTimeoutMs: 5_000 });
    for (let i = 0; i < 3; i++) {
      const cut = orm.em.fork().transactional(async (em) => {
        await em.getConnection().execute('select 1', [], 'all', em.getTransactionContext());
        proxy.partition();
        await em.getConnection().execute('select 2', [], 'all', em.getTransactionContext());
      });
      await expect(cut).rejects.toThrow();
      proxy.restore();
    }
    const startedAt = Date.now();
    await expect(select(orm, 'select 1 as ok')).resolves.toEqual([{ ok: 1 }]);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.waitingCount).toBe(0);
  }, 30_000);

  it("ends a statement at the caller's deadline and cancels it on the server", async () => {
    const { orm } = await open({ poolMax: 2, statementTimeoutMs: 20_000 });
    const startedAt = Date.now();
    const slow = runInRequestScope(Date.now() + 400, () => select(orm, 'select pg_sleep(30)'));
    await expect(slow).rejects.toMatchObject({ name: 'StatementAbandonedError' });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await expect
      .poll(async () => (await sessions()).filter((s) => s.state === 'active' && s.query.includes('pg_sleep')), { timeout: 3_000 })
      .toEqual([]);
  }, 30_000);

  it('ends a statement on a silent connection at the statement timeout plus a margin, and recovers when the network does', async () => {
    const { orm, pool } = await open({ poolMax: 2, statementTimeoutMs: 800 });
    await select(orm, 'select 1');
    const inTransaction = orm.em.fork().transactional(async (em) => {
      await em.getConnection().execute('select 1', [], 'all', em.getTransactionContext());
      proxy.stall();
      await em.getConnection().execute('select 2', [], 'all', em.getTransactionContext());
    });
    const startedAt = Date.now();
    await expect(inTransaction).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    proxy.restore();
    await expect(select(orm, 'select 1 as ok')).resolves.toEqual([{ ok: 1 }]);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    // The server ends what the client abandoned: nothing stays idle in transaction.
    await expect
      .poll(async () => (await sessions()).filter((s) => s.state.startsWith('idle in transaction')), { timeout: 5_000 })
      .toEqual([]);
  }, 30_000);

  it("stops waiting for a free connection at the caller's deadline", async () => {
    const { orm } = await open({ poolMax: 1, statementTimeoutMs: 5_000 });
    let letGo: () => void = () => undefined;
    const holding = orm.em.fork().transactional(async (em) => {
      await em.getConnection().execute('select 1', [], 'all', em.getTransactionContext());
      await new Promise<void>((resolve) => {
        letGo = resolve;
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    await expect(runInRequestScope(Date.now() + 300, () => select(orm, 'select 1'))).rejects.toMatchObject({
      name: 'PoolWaitAbandonedError',
    });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
    letGo();
    await holding;
    await expect(select(orm, 'select 1 as ok')).resolves.toEqual([{ ok: 1 }]);
  }, 30_000);
});
