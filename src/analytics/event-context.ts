import type { EntityManager } from '@mikro-orm/core';
import { TtlMemo } from './ttl-memo.js';

/** What an event is denormalized with at ingest. */
export interface EventContext {
  /** Role of each known user among `ids` (deleted users included: history stays). */
  userRoles(ids: readonly string[]): Promise<Map<string, string>>;
  /** Title of each known catalog item among `ids`. */
  itemTitles(ids: readonly string[]): Promise<Map<string, string>>;
}

const MEMO_ENTRIES = 50_000;
const MEMO_TTL_MS = 60_000;

/**
 * EventContext over PostgreSQL: one query per batch for the users and one
 * for the items it does not remember. Found facts are memoized for a minute
 * (a renamed course shows its new title in events within that time); misses
 * are not, so a new user or item is known at once.
 */
export function postgresEventContext(em: EntityManager): EventContext {
  const roles = new TtlMemo<string, string>(MEMO_ENTRIES, MEMO_TTL_MS);
  const titles = new TtlMemo<string, string>(MEMO_ENTRIES, MEMO_TTL_MS);
  const lookup = async (memo: TtlMemo<string, string>, ids: readonly string[], sql: string) => {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const value = memo.get(id);
      if (value === undefined) missing.push(id);
      else found.set(id, value);
    }
    if (missing.length > 0) {
      const rows = await em.getConnection().execute<{ id: string; value: string }[]>(sql, [missing], 'all');
      for (const row of rows) {
        memo.set(row.id, row.value);
        found.set(row.id, row.value);
      }
    }
    return found;
  };
  return {
    userRoles: (ids) => lookup(roles, ids, 'select id, role as value from users where id in (?)'),
    itemTitles: (ids) => lookup(titles, ids, 'select id, title as value from catalog_items where id in (?)'),
  };
}
