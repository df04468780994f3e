import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '../cache/cache.js';
import type { CachedResource } from '../cache/cached-resource.js';
import type { Codec } from '../cache/codec.js';
import type { CatalogItemData } from './catalog-item.entity.js';
import { CatalogItemRepository } from './catalog-item.repository.js';

/**
 * GetCatalogItem and BatchGetCatalogItems through the cache: key
 * `v1:catalog_item:{<id>}` (lower-case id), the Cache's TTLs. The value is
 * the item whatever its publication, so visibility is decided by the reader
 * on every call (see mayViewCatalogItem).
 *
 * Invalidated after the commit of every write that changes an item: create
 * (a NOT_FOUND may be cached), update, publish, unpublish, delete.
 */
export class CatalogItemCache {
  private readonly items: CachedResource<string, CatalogItemData>;

  constructor(
    cache: Cache,
    /** The request-scoped PostgreSQL EntityManager (a load runs in the scope of the request that missed). */
    em: EntityManager,
  ) {
    this.items = cache.resource<string, CatalogItemData>({
      name: 'catalog_item',
      version: 1,
      codec: CATALOG_ITEM_CODEC,
      // The repository's read models are new plain objects per row, of the fields the codec keeps.
      loadsDecoded: true,
      load: async (ids) => {
        const repository = CatalogItemRepository.of(em);
        // A point read stays a primary-key lookup; a batch is one `in (...)` select.
        const rows = ids.length === 1 ? [await repository.readById(ids[0] as string)] : await repository.readByIds(ids);
        return new Map(rows.filter((row) => row !== null).map((row) => [row.id, row]));
      },
    });
  }

  /** The item, or undefined when there is none. */
  get(id: string): Promise<CatalogItemData | undefined> {
    return this.items.get(id.toLowerCase());
  }

  /** The items that exist among `ids`, by lower-case id: one MGET, then one select for the misses. */
  getMany(ids: readonly string[]): Promise<Map<string, CatalogItemData>> {
    return this.items.getMany(ids.map((id) => id.toLowerCase()));
  }

  /** After the commit that changed these items. Never throws. */
  invalidate(ids: readonly string[]): Promise<void> {
    return this.items.invalidate(ids.map((id) => id.toLowerCase()));
  }
}

/** JSON has neither bigint nor Date: the price travels as a string, the times as ISO strings. */
const CATALOG_ITEM_CODEC: Codec<CatalogItemData> = {
  encode: (item) =>
    JSON.stringify({
      ...item,
      priceAmount: item.priceAmount.toString(),
      createTime: item.createTime.toISOString(),
      updateTime: item.updateTime.toISOString(),
    }),
  decode: (raw) => {
    const item = JSON.parse(raw) as Omit<CatalogItemData, 'priceAmount' | 'createTime' | 'updateTime'> & {
      priceAmount: string;
      createTime: string;
      updateTime: string;
    };
    return { ...item, priceAmount: BigInt(item.priceAmount), createTime: new Date(item.createTime), updateTime: new Date(item.updateTime) };
  },
};
