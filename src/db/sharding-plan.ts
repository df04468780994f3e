/**
 * How the stores shard, as data: test/db/sharding-plan.test.ts holds the
 * live PostgreSQL schema (after every migration) to Citus's rules for this
 * plan, and the MongoDB entities' indexes to MongoDB's rules for its shard
 * keys; docs/scaling.md ("Sharding") is rendered from it. Each module
 * declares its own tables' and collections' entries (`tables`,
 * `collections`); the shared tables are here.
 */

import { MODULES } from '../modules.js';
import { type CitusTable, DISTRIBUTION_COLUMN, type MongoCollectionPlan } from './shard-classes.js';

export type { CitusClass, CitusTable, MongoCollectionPlan, ShardKey } from './shard-classes.js';

/** The tables no domain owns: the request-id claims, the outbox, the migrator's own. */
const SHARED_TABLES: Readonly<Record<string, CitusTable>> = {
  outbox_events: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'written in the transaction of the per-user fact it follows; key (user_id, id)',
    allShards: ['the outbox relay (oldest events first, deleted by id)'],
  },
  idempotency_records: {
    class: 'local',
    why: 'unique (operation, request_id) across all users; a claim in the same transaction as a distributed write commits on two nodes',
  },
  mikro_orm_migrations: { class: 'local', why: 'the migrator\u2019s own bookkeeping' },
};

/** Every table of the PostgreSQL schema, by name: each module's, then the shared ones. A table missing here fails the plan's test. */
export const CITUS_PLAN: Readonly<Record<string, CitusTable>> = {
  ...Object.fromEntries(MODULES.flatMap((module) => Object.entries(module.tables ?? {}))),
  ...SHARED_TABLES,
};

/** Every MongoDB collection, by name. */
/** Every MongoDB collection, by name, from the modules. */
export const MONGO_PLAN: Readonly<Record<string, MongoCollectionPlan>> = Object.fromEntries(
  MODULES.flatMap((module) => Object.entries(module.collections ?? {})),
);

/** The "Sharding" tables of docs/scaling.md, rendered from the plans (test/db/sharding-plan.test.ts keeps them in step). */
export function renderShardingPlan(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = [
    '| table | Citus | why | on every shard |',
    '|---|---|---|---|',
    ...Object.entries(CITUS_PLAN).map(
      ([table, t]) =>
        `| \`${table}\` | ${t.class === 'distributed' ? `distributed by \`${t.column}\`` : t.class} | ${cell(t.why)} | ${cell((t.allShards ?? []).join('; ') || '-')} |`,
    ),
    '',
    '| collection | shard key | why | one shard | every shard |',
    '|---|---|---|---|---|',
    ...Object.entries(MONGO_PLAN).map(
      ([name, c]) =>
        `| \`${name}\` | ${c.shardKey ? `\`${JSON.stringify(c.shardKey).replaceAll('"', '').replaceAll(':', ': ').replaceAll(',', ', ')}\`` : 'unsharded'} | ${cell(c.why)} | ${cell((c.singleShard ?? []).join('; ') || '-')} | ${cell((c.allShards ?? []).join('; ') || '-')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
