import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresOrm } from '../../src/db/postgres.js';
import { onCommit, transactional } from '../../src/db/transaction.js';
import { createTestDatabase } from '../support/databases.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let orm: PostgresOrm;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await openPostgres({ url: db.url, statementTimeoutMs: 10_000 });
  await orm.em.getConnection().execute('create table commit_probe (id int primary key)');
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

/** Rows of commit_probe as another connection sees them (committed only). */
const committed = async () =>
  Number((await orm.em.fork().getConnection().execute<{ n: string }[]>('select count(*) as n from commit_probe'))[0]?.n);

describe('onCommit', () => {
  it('when the transaction commits, then its hooks run after the commit and before transactional returns', async () => {
    const seen: number[] = [];
    await transactional(orm.em.fork(), async (tx) => {
      await tx.getConnection().execute('insert into commit_probe values (1)', [], 'run', tx.getTransactionContext());
      onCommit(tx, async () => {
        seen.push(await committed());
      });
      seen.push(await committed());
    });
    // Inside, the row was not committed yet; in the hook, it was; and the hook had run when transactional returned.
    expect(seen).toEqual([0, 1]);
  });

  it('when the transaction rolls back, then its hooks never run', async () => {
    let ran = false;
    const failed = transactional(orm.em.fork(), async (tx) => {
      await tx.getConnection().execute('insert into commit_probe values (2)', [], 'run', tx.getTransactionContext());
      onCommit(tx, async () => {
        ran = true;
      });
      throw new Error('changed my mind');
    });
    await expect(failed).rejects.toThrow('changed my mind');
    expect(ran).toBe(false);
    expect(await committed()).toBe(1);
  });

  it('when used outside a transaction begun by transactional, then it refuses', () => {
    expect(() => onCommit(orm.em.fork(), async () => undefined)).toThrow(/transactional/);
  });
});
