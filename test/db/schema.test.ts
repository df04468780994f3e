import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresOrm } from '../../src/db/postgres.js';
import { createTestDatabase, rawClient } from '../support/databases.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let orm: PostgresOrm;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  await orm.migrator.up();
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

describe('migrations', () => {
  it('when every migration has run, then the entities and the database agree (no drift)', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('when migrations run again, then nothing is pending', async () => {
    expect(await orm.migrator.getPending()).toEqual([]);
  });
});

describe('audit_log', () => {
  it('when anyone tries to UPDATE, DELETE or TRUNCATE it, then the database refuses', async () => {
    const client = await rawClient(db.url);
    try {
      await client.query(`insert into audit_log (id, actor, action, entity_type, entity_id, diff, create_time)
        values ('01900000-0000-7000-8000-0000000000aa', 'test', 'x.created', 'x', '1', '{}', now())`);
      await expect(client.query(`update audit_log set actor = 'mallory'`)).rejects.toThrow(/append-only/);
      await expect(client.query('delete from audit_log')).rejects.toThrow(/append-only/);
      await expect(client.query('truncate audit_log')).rejects.toThrow(/append-only/);
      const { rows } = await client.query('select actor from audit_log');
      expect(rows).toEqual([{ actor: 'test' }]);
    } finally {
      await client.end();
    }
  });
});
