import type { CatalogItem } from './catalog-item.entity.js';

/**
 * A catalog item as plain data: what the cache holds and what reads return,
 * whether they were served from Redis or PostgreSQL. Shaped like the entity
 * (the instructor as `{ id }`), so code that maps either one to a message
 * takes both.
 */
export interface CatalogItemData {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly priceAmount: bigint;
  readonly currency: string;
  readonly published: boolean;
  readonly instructor: { readonly id: string } | null | undefined;
  readonly createTime: Date;
  readonly updateTime: Date;
  /** The optimistic-lock version; the etag is made from it. */
  readonly version: number;
}

/** Copies the fields of an entity: no ORM reference or lazy property survives. */
export function catalogItemData(item: CatalogItem): CatalogItemData {
  return {
    id: item.id,
    title: item.title,
    description: item.description,
    priceAmount: item.priceAmount,
    currency: item.currency,
    published: item.published,
    instructor: item.instructor ? { id: item.instructor.id } : null,
    createTime: item.createTime,
    updateTime: item.updateTime,
    version: item.version,
  };
}
