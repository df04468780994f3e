import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, seqScannedTables, unindexedForeignKeys, unusedIndexes } from '../../scripts/index-report.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createTestDatabase, rawClient } from '../support/databases.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: Awaited<ReturnType<typeof rawClient>>;

beforeAll(async () => {
  db = await createTestDatabase();
  const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  await orm.migrator.up();
  await orm.close();
  client = await rawClient(db.url);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('index report', () => {
  it('when a foreign key has no index, then it is reported until one is created', async () => {
    await client.query('create table scratch_parent (id int primary key)');
    await client.query('create table scratch_child (id int primary key, parent_id int not null references scratch_parent (id))');
    const before = await unindexedForeignKeys(client);
    expect(before.filter((fk) => fk.table === 'scratch_child')).toEqual([
      { table: 'scratch_child', constraint: 'scratch_child_parent_id_fkey', columns: 'parent_id', references: 'scratch_parent' },
    ]);
    await client.query('create index scratch_child_parent_idx on scratch_child (parent_id)');
    expect((await unindexedForeignKeys(client)).filter((fk) => fk.table === 'scratch_child')).toEqual([]);
  });

  it('when an index leads with other columns, then the foreign key still counts as unindexed', async () => {
    await client.query('create table scratch_other (id int primary key, a int, parent_id int references scratch_parent (id))');
    await client.query('create index scratch_other_a_parent_idx on scratch_other (a, parent_id)');
    expect((await unindexedForeignKeys(client)).map((fk) => fk.table)).toContain('scratch_other');
  });

  it('when an index was never scanned, then it is listed as unused, and a table scanned sequentially is listed too', async () => {
    await client.query('create table scratch_scanned (id int primary key, v int)');
    await client.query('create index scratch_scanned_v_idx on scratch_scanned (v)');
    await client.query('insert into scratch_scanned select g, g from generate_series(1, 50) g');
    for (let i = 0; i < 3; i++) await client.query('select count(*) from scratch_scanned');
    await client.query('select pg_stat_force_next_flush()');
    expect((await unusedIndexes(client)).map((i) => i.index)).toContain('scratch_scanned_v_idx');
    const scanned = await seqScannedTables(client, 0);
    expect(scanned.map((t) => t.table)).toContain('scratch_scanned');
    expect(formatTable('Seq', scanned)).toMatch(/^Seq:\ntable\s+seqScans/);
  });
});
