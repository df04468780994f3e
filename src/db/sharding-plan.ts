/**
 * How the stores shard, as data: test/db/sharding-plan.test.ts holds the
 * live PostgreSQL schema (after every migration) to Citus's rules for this
 * plan, and the MongoDB entities' indexes to MongoDB's rules for its shard
 * keys; docs/scaling.md ("Sharding") is rendered from it.
 */

/**
 * - `distributed`: hash-distributed by `column` over the workers, co-located
 *   with every other table distributed by `user_id` (one user's rows on one shard);
 * - `reference`: a full copy on every node (writes go to all of them);
 * - `local`: stays on the coordinator, a plain table (a Citus local table where
 *   it references a reference table).
 */
export type CitusClass = 'distributed' | 'reference' | 'local';

export interface CitusTable {
  readonly class: CitusClass;
  /** The distribution column (distributed tables only). */
  readonly column?: string;
  /** Why this class, and what it costs. */
  readonly why: string;
  /** RPCs (or jobs) that read or write this table without the distribution column: they run on every shard. */
  readonly allShards?: readonly string[];
}

/** The one co-location group: every distributed table is distributed by the user's id. */
export const DISTRIBUTION_COLUMN = 'user_id';

/** Every table of the PostgreSQL schema, by name. A table missing here fails the plan's test. */
export const CITUS_PLAN: Readonly<Record<string, CitusTable>> = {
  users: {
    class: 'reference',
    why: 'the email blind index is unique across all users and cannot include user_id; catalog items point at instructors; every node can join to it',
  },
  catalog_items: { class: 'reference', why: 'small, read by every call that touches a course, joined with every per-user table' },
  lessons: { class: 'reference', why: 'small; belongs to a catalog item' },
  assets: { class: 'reference', why: 'belongs to a catalog item or lesson; object keys unique across all items' },
  enrollments: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'per user; key (user_id, id), unique (user_id, catalog_item_id)',
    allShards: [
      'GetEnrollment',
      'CancelEnrollment (the lookup by id and its access check)',
      'ListEnrollments by catalog item',
      'DeleteCatalogItem (is anyone enrolled?)',
    ],
  },
  lesson_progress: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'per user; key (user_id, id), unique (user_id, lesson_id)',
  },
  payments: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'per user; key (user_id, id); points at its enrollment by (user_id, enrollment_id), on the same shard',
    allShards: ['GetPayment', 'RefundPayment (the lookup by id and its access check)'],
  },
  payment_attempts: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'per user, written before and with the payment; key (user_id, id), idempotency key unique per user',
    allShards: ['Enroll (its attempt completed or failed by id)', 'the payment reconciler (open attempts by age, settled by id)'],
  },
  outbox_events: {
    class: 'distributed',
    column: DISTRIBUTION_COLUMN,
    why: 'written in the transaction of the per-user fact it follows; key (user_id, id)',
    allShards: ['the outbox relay (oldest events first, deleted by id)'],
  },
  sessions: {
    class: 'local',
    why: 'read by token hash on every call that misses the session cache; unique token hash; references users (reference)',
  },
  idempotency_records: {
    class: 'local',
    why: 'unique (operation, request_id) across all users; a claim in the same transaction as a distributed write commits on two nodes',
  },
  audit_log: {
    class: 'local',
    why: 'append-only, read by entity, actor or time across all users; an audited per-user write commits on two nodes (the coordinator and the user\u2019s worker), never on more',
  },
  mikro_orm_migrations: { class: 'local', why: 'the migrator\u2019s own bookkeeping' },
};

/** A MongoDB shard key: `1` for a ranged field, `'hashed'` for a hashed one. */
export type ShardKey = Readonly<Record<string, 1 | 'hashed'>>;

export interface MongoCollectionPlan {
  /** Undefined: the collection stays unsharded (on its database's primary shard). */
  readonly shardKey?: ShardKey;
  readonly why: string;
  /** Query paths that carry the shard key's leading field (or its hashed field) as an equality: routed to one shard. */
  readonly singleShard?: readonly string[];
  /** Query paths without it: sent to every shard. */
  readonly allShards?: readonly string[];
}

/** Every MongoDB collection, by name. */
export const MONGO_PLAN: Readonly<Record<string, MongoCollectionPlan>> = {
  forum_threads: {
    shardKey: { catalogItemId: 1 },
    why: 'a course\u2019s threads together; ranged on the item id, backed by the ListThreads index',
    singleShard: ['ListThreads', 'CreateThread'],
    allShards: ['GetThread (by _id)', 'post counts and last activity (updated by _id)'],
  },
  forum_posts: {
    shardKey: { threadId: 'hashed' },
    why: 'thread ids are ObjectIds (increasing): hashed, so new threads spread over the shards',
    singleShard: ['ListPosts', 'CreatePost'],
    allShards: ['UpdatePost and DeletePost (by _id)', 'the outbox relay of posts'],
  },
  analytics_events: {
    shardKey: { catalogItemId: 1, occurTime: 1 },
    why: 'high write volume; a course\u2019s events by time, backed by the refresh index; the relay\u2019s upsert carries the full key',
    singleShard: ['refresh of one item\u2019s days', 'the relay\u2019s upsert of an outbox event'],
    allShards: ['rollup of whole days', 'days touched since the last run (by receive time)'],
  },
  analytics_daily_rollups: {
    why: 'one document per course and day: small, stays unsharded',
  },
};

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
