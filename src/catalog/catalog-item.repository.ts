import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { findByPrimaryKey, readModelByPrimaryKey, readModels, selectFrom } from '../db/point-read.js';
import { rawQuery } from '../db/raw-query.js';
import type { Money } from '../validation/money.js';
import { type CatalogItem, type CatalogItemData, CatalogItemSchema, catalogItemData } from './catalog-item.entity.js';

/** The sort keys ListCatalogItems offers; each has a (key, id) index, alone and after each filter. */
export type CatalogItemSortKey = 'createTime' | 'title' | 'priceAmount';

/** Where the previous page ended: the sort key and id of its last row. */
export interface CatalogItemCursor {
  readonly key: Date | string | bigint;
  readonly id: string;
}

export interface CatalogItemListQuery {
  readonly published: boolean | undefined;
  readonly instructorId: string | undefined;
  readonly sort: CatalogItemSortKey;
  readonly direction: 'asc' | 'desc';
  readonly after: CatalogItemCursor | undefined;
  readonly limit: number;
}

/** Where the previous search page ended: rank (ts_rank as float8, exact) and id of its last row. */
export interface SearchCursor {
  readonly rank: number;
  readonly id: string;
}

export interface SearchHit {
  readonly item: CatalogItem;
  readonly rank: number;
}

const SORT_COLUMNS: Record<CatalogItemSortKey, { column: string; cast: string }> = {
  createTime: { column: 'create_time', cast: 'timestamptz' },
  title: { column: 'title', cast: 'text' },
  priceAmount: { column: 'price_amount', cast: 'bigint' },
};

// Every column but the lazy `search` tsvector, which no read ever needs.
const COLUMNS = [
  'id',
  'title',
  'description',
  'price_amount',
  'currency',
  'published',
  'instructor_id',
  'create_time',
  'update_time',
  'version',
];

/** Who teaches a catalog item; null for nobody. */
export interface ItemInstructor {
  readonly instructorId: string | null;
}

/** The instructor_id of the one row `sql` (one `?`, the id) selects; undefined for none. */
export async function instructorBy(em: EntityManager, sql: string, id: string): Promise<ItemInstructor | undefined> {
  const [row] = await rawQuery<{ instructor_id: string | null }>(em, sql, [id]);
  return row && { instructorId: row.instructor_id };
}

/** A user towards a catalog item (see CatalogItemRepository.standingOf). */
export interface ItemStanding {
  /** The item's instructor, or an admin. */
  readonly teachesOrAdmin: boolean;
  /** Holds an active or completed enrollment in the item. */
  readonly enrolled: boolean;
}

const STANDING_QUERY = `
  select u.role = 'admin' or ci.instructor_id = u.id as moderator,
         exists (select 1 from enrollments e
                  where e.user_id = u.id and e.catalog_item_id = ci.id
                    and e.status in ('active', 'completed')) as member
    from catalog_items ci
    left join users u on u.id = ? and u.delete_time is null
   where ci.id = ?`;

/**
 * The queries of catalog items. Reads select every column but the lazy
 * `search` tsvector. Two kinds of read: `read*` return plain read models
 * (CatalogItemData) through fixed statements, for answers and the cache;
 * `find*` return the transaction's managed entities, for writes.
 */
export class CatalogItemRepository extends EntityRepository<CatalogItem> {
  /** The CatalogItem repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): CatalogItemRepository {
    return new CatalogItemRepository(em as SqlEntityManager, CatalogItemSchema);
  }

  /** Point read by primary key: one fixed select, no relation loaded. Null when no such item. */
  readById(id: string): Promise<CatalogItemData | null> {
    return readModelByPrimaryKey<CatalogItemData, CatalogItem>(this.getEntityManager(), this.entityName, id);
  }

  /** The items with these ids that exist, in no particular order, in one query. */
  async readByIds(ids: readonly string[]): Promise<CatalogItemData[]> {
    if (ids.length === 0) return [];
    return (await this.find({ id: { $in: [...new Set(ids)] } })).map(catalogItemData);
  }

  /** The item as a managed entity of the transaction, to change (one fixed select unless the unit of work holds it). */
  async findById(id: string): Promise<CatalogItem | null> {
    return findByPrimaryKey(this.getEntityManager(), this.entityName, id);
  }

  /** Reads the item and locks its row until the transaction ends (publication and deletion rules). */
  async findByIdForUpdate(id: string): Promise<CatalogItem | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  /**
   * One keyset page, shaped for the (filter, key, id) indexes:
   * `where [published = ?] [and instructor_id = ?] and (key, id) < (?, ?)
   * order by key desc, id desc limit n` (`>` and `asc` when ascending).
   */
  async readPage(query: CatalogItemListQuery): Promise<CatalogItemData[]> {
    // Written out rather than built by the ORM on every call, and read as
    // plain read models: hydrating a page of managed entities cost several
    // times the query.
    const { column, cast } = SORT_COLUMNS[query.sort];
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.published !== undefined) conditions.push(query.published ? '"published"' : 'not "published"');
    if (query.instructorId !== undefined) {
      conditions.push('"instructor_id" = ?::uuid');
      params.push(query.instructorId);
    }
    const direction = query.direction === 'desc' ? 'desc' : 'asc';
    if (query.after !== undefined) {
      conditions.push(`("${column}", "id") ${direction === 'desc' ? '<' : '>'} (?::${cast}, ?::uuid)`);
      params.push(keyParam(query.after.key), query.after.id);
    }
    params.push(query.limit);
    const em = this.getEntityManager();
    const where = conditions.length === 0 ? '' : ` where ${conditions.join(' and ')}`;
    const sql = `${selectFrom(em, this.entityName)}${where} order by "${column}" ${direction}, "id" ${direction} limit ?`;
    return readModels<CatalogItemData, CatalogItem>(em, this.entityName, sql, params);
  }

  /**
   * Published items matching a web-search query (English), best first: by
   * ts_rank over the weighted `search` tsvector (GIN-indexed), then id, both
   * descending. The rank is computed as float8 so the cursor holds it exactly.
   */
  async search(text: string, after: SearchCursor | undefined, limit: number): Promise<SearchHit[]> {
    const params: unknown[] = [text];
    let keyset = '';
    if (after !== undefined) {
      keyset = 'and (ts_rank(c.search, q.query)::float8, c.id) < (?::float8, ?::uuid)';
      params.push(after.rank, after.id);
    }
    params.push(limit);
    const rows = await this.getEntityManager().execute<Record<string, unknown>[]>(
      `select ${COLUMNS.map((col) => `c.${col}`).join(', ')}, ts_rank(c.search, q.query)::float8 as rank
         from catalog_items c, websearch_to_tsquery('english', ?) as q(query)
        where c.published and c.search @@ q.query ${keyset}
        order by rank desc, c.id desc
        limit ?`,
      params,
    );
    return rows.map(({ rank, ...row }) => ({
      item: this.getEntityManager().map(this.entityName, row as never),
      rank: Number(rank),
    }));
  }

  /** The teaching user of an item (null for none); undefined when there is no such item. */
  async instructorOf(id: string): Promise<ItemInstructor | undefined> {
    return instructorBy(this.getEntityManager(), 'select instructor_id from catalog_items where id = ?', id);
  }

  /**
   * The price of an item still to be charged for the request `requestId` of
   * `operation`, in one statement: undefined when there is nothing to charge
   * (no such item, a free one, or a request whose idempotency record says it
   * already committed).
   */
  async priceToCharge(id: string, operation: string, requestId: string): Promise<Money | undefined> {
    const [row] = await rawQuery<{ price_amount: string; currency: string; done: boolean }>(
      this.getEntityManager(),
      `select ci.price_amount::text as price_amount, ci.currency,
              exists(select 1 from idempotency_records where operation = ? and request_id = ?) as done
         from catalog_items ci where ci.id = ?`,
      [operation, requestId, id],
    );
    if (!row || row.done || BigInt(row.price_amount) <= 0n) return undefined;
    return { amountMinor: BigInt(row.price_amount), currencyCode: row.currency };
  }

  /** The title of each item among `ids` that exists (one statement). */
  async titlesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.getEntityManager()
      .getConnection()
      .execute<{ id: string; value: string }[]>('select id, title as value from catalog_items where id in (?)', [[...ids]], 'all');
    return new Map(rows.map((row) => [row.id, row.value]));
  }

  /**
   * Where a user stands towards an item, in one statement: whether they teach
   * it or are an admin, and whether they hold an active or completed
   * enrollment in it; undefined when there is no such item. An unknown or
   * deleted user gets no row of `users`, and so neither. The statement reads
   * the identity and enrollment domains' tables too; the item is its main
   * table, so it lives here (an exception listed in
   * test/architecture/table-ownership.test.ts).
   */
  async standingOf(catalogItemId: string, userId: string): Promise<ItemStanding | undefined> {
    const rows = await this.getEntityManager()
      .getConnection()
      .execute<{ moderator: boolean | null; member: boolean | null }[]>(STANDING_QUERY, [userId, catalogItemId], 'all');
    const row = rows[0];
    return row && { teachesOrAdmin: row.moderator === true, enrolled: row.member === true };
  }
}

function keyParam(key: Date | string | bigint): string {
  return key instanceof Date ? key.toISOString() : String(key);
}
