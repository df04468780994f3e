import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoEntities } from '../../src/db/mongo.js';
import { openPostgres } from '../../src/db/postgres.js';
import { CITUS_PLAN, type CitusTable, MONGO_PLAN, type MongoCollectionPlan, renderShardingPlan } from '../../src/db/sharding-plan.js';
import { createTestDatabase, rawClient } from '../support/databases.js';

/** What Citus needs to know of the schema, read from the PostgreSQL catalog. */
interface LiveSchema {
  readonly tables: string[];
  /** Every unique index (primary keys included): table, name, columns. */
  readonly uniques: { table: string; name: string; columns: string[] }[];
  readonly foreignKeys: { table: string; name: string; columns: string[]; references: string; referencedColumns: string[] }[];
  /** table.column -> type and nullability. */
  readonly columns: Map<string, { type: string; notNull: boolean }>;
}

async function liveSchema(client: pg.Client): Promise<LiveSchema> {
  const tables = await client.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const uniques = await client.query<{ table: string; name: string; columns: string[] }>(
    `select t.relname as table, i.relname as name,
            array(select a.attname::text from unnest(x.indkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum order by k.n) as columns
       from pg_index x join pg_class t on t.oid = x.indrelid join pg_class i on i.oid = x.indexrelid
       join pg_namespace s on s.oid = t.relnamespace
      where s.nspname = 'public' and x.indisunique`,
  );
  const foreignKeys = await client.query<{
    table: string;
    name: string;
    columns: string[];
    references: string;
    referencedColumns: string[];
  }>(
    `select t.relname as table, c.conname as name, r.relname as references,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.n) as columns,
            array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.n) as "referencedColumns"
       from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid
       join pg_namespace s on s.oid = t.relnamespace
      where s.nspname = 'public' and c.contype = 'f'`,
  );
  const columns = await client.query<{ table: string; column: string; type: string; nullable: string }>(
    `select table_name as table, column_name as column, data_type as type, is_nullable as nullable
       from information_schema.columns where table_schema = 'public'`,
  );
  return {
    tables: tables.rows.map((r) => r.name),
    uniques: uniques.rows,
    foreignKeys: foreignKeys.rows,
    columns: new Map(columns.rows.map((c) => [`${c.table}.${c.column}`, { type: c.type, notNull: c.nullable === 'NO' }])),
  };
}

/** Every way `schema` breaks Citus's rules for `plan`, one sentence each; empty when the plan is valid. */
function citusViolations(schema: LiveSchema, plan: Readonly<Record<string, CitusTable>>): string[] {
  const out: string[] = [];
  const classOf = (table: string) => plan[table]?.class;
  for (const table of schema.tables) if (!plan[table]) out.push(`${table}: not in the plan`);
  for (const table of Object.keys(plan)) if (!schema.tables.includes(table)) out.push(`${table}: planned but not in the schema`);
  for (const [table, t] of Object.entries(plan)) {
    if (t.class !== 'distributed' || !schema.tables.includes(table)) continue;
    const column = t.column ?? '';
    const meta = schema.columns.get(`${table}.${column}`);
    if (!meta) out.push(`${table}: no distribution column ${column}`);
    else if (!meta.notNull) out.push(`${table}.${column}: the distribution column may be null`);
    for (const u of schema.uniques.filter((x) => x.table === table)) {
      if (!u.columns.includes(column)) out.push(`${table}: unique ${u.name} (${u.columns.join(', ')}) lacks ${column}`);
    }
  }
  for (const fk of schema.foreignKeys) {
    const from = classOf(fk.table);
    const to = classOf(fk.references);
    const at = `${fk.table}: ${fk.name} -> ${fk.references}`;
    if (from === 'reference' && to !== 'reference') out.push(`${at}: a reference table points at a ${to} table`);
    if (from === 'distributed' && to === 'local') out.push(`${at}: a distributed table points at a local table`);
    if (from === 'local' && to === 'distributed') out.push(`${at}: a local table points at a distributed table`);
    if (from === 'distributed' && to === 'distributed') {
      const source = plan[fk.table]?.column ?? '';
      const target = plan[fk.references]?.column ?? '';
      const i = fk.columns.indexOf(source);
      if (i < 0 || fk.referencedColumns[i] !== target) out.push(`${at}: does not join the distribution columns`);
      else if (schema.columns.get(`${fk.table}.${source}`)?.type !== schema.columns.get(`${fk.references}.${target}`)?.type)
        out.push(`${at}: distribution columns of different types cannot be co-located`);
    }
  }
  return out;
}

interface MongoIndex {
  readonly fields: [string, unknown][];
  readonly unique: boolean;
  readonly sparseOrPartial: boolean;
}

/** The indexes each MongoDB entity declares (the service creates exactly these at start). */
function declaredMongoIndexes(): Map<string, MongoIndex[]> {
  const out = new Map<string, MongoIndex[]>();
  for (const schema of mongoEntities) {
    const meta = schema.meta;
    const list: MongoIndex[] = [];
    const add = (spec: { properties?: unknown; type?: string; options?: Record<string, unknown> }, unique: boolean) => {
      const properties = ([] as string[]).concat((spec.properties as string | string[] | undefined) ?? []);
      list.push({
        fields: properties.map((p) => [p, spec.type ?? 1]),
        unique: unique || spec.options?.unique === true,
        sparseOrPartial: spec.options?.sparse === true || spec.options?.partialFilterExpression !== undefined,
      });
    };
    for (const index of meta.indexes) add(index as never, false);
    for (const unique of meta.uniques) add(unique as never, true);
    out.set(meta.collection, list);
  }
  return out;
}

/** Every way the shard keys break MongoDB's rules against the declared indexes. */
function mongoViolations(indexes: Map<string, MongoIndex[]>, plan: Readonly<Record<string, MongoCollectionPlan>>): string[] {
  const out: string[] = [];
  for (const name of indexes.keys()) if (!plan[name]) out.push(`${name}: not in the plan`);
  for (const [name, c] of Object.entries(plan)) {
    const list = indexes.get(name);
    if (!list) {
      out.push(`${name}: planned but no entity has it`);
      continue;
    }
    if (!c.shardKey) continue;
    const key = Object.entries(c.shardKey);
    const hashed = key.filter(([, v]) => v === 'hashed');
    if (hashed.length > 0 && key.length > 1) out.push(`${name}: a hashed shard key must be a single field`);
    const backed = list.some(
      (i) =>
        !i.sparseOrPartial &&
        key.every(([field, kind], n) => i.fields[n]?.[0] === field && (kind === 'hashed') === (i.fields[n]?.[1] === 'hashed')),
    );
    if (!backed) out.push(`${name}: no plain index starts with the shard key ${JSON.stringify(c.shardKey)}`);
    for (const u of list.filter((i) => i.unique)) {
      const fields = u.fields.map(([f]) => f).join(', ');
      if (hashed.length > 0) out.push(`${name}: unique (${fields}) on a hashed-sharded collection`);
      else if (!key.every(([field], n) => u.fields[n]?.[0] === field))
        out.push(`${name}: unique (${fields}) does not start with the shard key`);
    }
  }
  return out;
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = await rawClient(db.url);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function migrateTo(to?: string): Promise<void> {
  const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  try {
    await orm.migrator.up(to ? { to } : undefined);
  } finally {
    await orm.close();
  }
}

describe('the Citus plan', () => {
  it('when the schema is as it was before the keys carried user_id, then the rules find what Citus would refuse', async () => {
    await migrateTo('Migration20261202004250');
    const found = citusViolations(await liveSchema(client), CITUS_PLAN);
    expect(found).toEqual(
      expect.arrayContaining([
        'enrollments: unique enrollments_pkey (id) lacks user_id',
        'payments: unique payments_pkey (id) lacks user_id',
        'lesson_progress: unique lesson_progress_pkey (id) lacks user_id',
        'payments: payments_enrollment_id_foreign -> enrollments: does not join the distribution columns',
      ]),
    );
  });

  it('when every migration has run, then every table is classified and the schema obeys Citus for the plan', async () => {
    await migrateTo();
    const schema = await liveSchema(client);
    expect(citusViolations(schema, CITUS_PLAN)).toEqual([]);
    // The rules bite on this schema too: another class for one table is caught.
    expect(citusViolations(schema, { ...CITUS_PLAN, users: { class: 'distributed', column: 'id', why: '' } })).toContain(
      'users: unique users_email_key_unique (email_key) lacks id',
    );
    expect(citusViolations(schema, { ...CITUS_PLAN, users: { class: 'local', why: '' } })).toContain(
      'catalog_items: catalog_items_instructor_id_foreign -> users: a reference table points at a local table',
    );
    const { users: _, ...withoutUsers } = CITUS_PLAN;
    expect(citusViolations(schema, withoutUsers)).toContain('users: not in the plan');
  });
});

describe('the MongoDB plan', () => {
  it('when the entities declare their indexes, then every collection is classified and each shard key is valid and backed', () => {
    expect(mongoViolations(declaredMongoIndexes(), MONGO_PLAN)).toEqual([]);
  });

  it('when a shard key breaks a rule, then the check says which', () => {
    const indexes = declaredMongoIndexes();
    const broken = {
      ...MONGO_PLAN,
      analytics_events: { why: '', shardKey: { catalogItemId: 'hashed', occurTime: 'hashed' } as const },
      forum_threads: { why: '', shardKey: { authorId: 1 } as const },
      analytics_daily_rollups: { why: '', shardKey: { day: 1 } as const },
    };
    expect(mongoViolations(indexes, broken)).toEqual(
      expect.arrayContaining([
        'analytics_events: a hashed shard key must be a single field',
        'forum_threads: no plain index starts with the shard key {"authorId":1}',
        'analytics_daily_rollups: unique (catalogItemId, day) does not start with the shard key',
      ]),
    );
  });
});

describe('docs/scaling.md', () => {
  it('when the plan changes, then the Sharding tables in the docs are its rendering', async () => {
    expect(await readFile('docs/scaling.md', 'utf8')).toContain(renderShardingPlan());
  });
});
