import type { EntityManager } from '@mikro-orm/core';
import { catalogReads } from '../catalog/catalog.js';
import { identityReads } from '../identity/identity.js';
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
 * EventContext over PostgreSQL, through the identity and catalog domains'
 * reads: one query per batch for the users and one for the items it does
 * not remember. Found facts are memoized for a minute
 * (a renamed course shows its new title in events within that time); misses
 * are not, so a new user or item is known at once.
 */
export function postgresEventContext(em: EntityManager): EventContext {
  const roles = new TtlMemo<string, string>(MEMO_ENTRIES, MEMO_TTL_MS);
  const titles = new TtlMemo<string, string>(MEMO_ENTRIES, MEMO_TTL_MS);
  const users = identityReads(em);
  const items = catalogReads(em);
  const lookup = async (
    memo: TtlMemo<string, string>,
    ids: readonly string[],
    read: (missing: readonly string[]) => Promise<Map<string, string>>,
  ) => {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const value = memo.get(id);
      if (value === undefined) missing.push(id);
      else found.set(id, value);
    }
    if (missing.length > 0) {
      for (const [id, value] of await read(missing)) {
        memo.set(id, value);
        found.set(id, value);
      }
    }
    return found;
  };
  return {
    userRoles: (ids) => lookup(roles, ids, (missing) => users.rolesOf(missing)),
    itemTitles: (ids) => lookup(titles, ids, (missing) => items.titlesOf(missing)),
  };
}
