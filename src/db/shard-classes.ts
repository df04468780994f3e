/** The vocabulary of the sharding plan (src/db/sharding-plan.ts), in which each module declares how its tables and collections shard. */

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
