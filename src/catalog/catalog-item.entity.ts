import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { FullTextType } from '@mikro-orm/postgresql';
import { UserSchema } from '../identity/user.entity.js';

/** A course on sale. Money is an integer of minor units plus an ISO-4217 code. */
export const CatalogItemSchema = defineEntity({
  name: 'CatalogItem',
  tableName: 'catalog_items',
  properties: {
    id: p.uuid().primary(),
    title: p.text(),
    description: p.text(),
    priceAmount: p.bigint(),
    currency: p.string().length(3),
    published: p.boolean(),
    instructor: () => p.manyToOne(UserSchema).nullable().deleteRule('restrict'),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    version: p.integer().version(),
    /** Ranked full-text search over title (weight A) and description (B); kept by PostgreSQL. */
    search: p
      .type(FullTextType)
      .generated("(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')) stored")
      .lazy()
      .nullable(),
  },
  checks: [
    { name: 'catalog_items_price_amount_check', expression: 'price_amount >= 0' },
    { name: 'catalog_items_currency_check', expression: "currency ~ '^[A-Z]{3}$'" },
  ],
  indexes: [
    { name: 'catalog_items_search_idx', properties: ['search'], type: 'fulltext' },
    // Keyset pages: (filter..., sort key, id) for each filter and order ListCatalogItems offers.
    { name: 'catalog_items_create_time_idx', properties: ['createTime', 'id'] },
    { name: 'catalog_items_title_idx', properties: ['title', 'id'] },
    { name: 'catalog_items_price_idx', properties: ['priceAmount', 'id'] },
    { name: 'catalog_items_published_create_time_idx', properties: ['published', 'createTime', 'id'] },
    { name: 'catalog_items_published_title_idx', properties: ['published', 'title', 'id'] },
    { name: 'catalog_items_published_price_idx', properties: ['published', 'priceAmount', 'id'] },
    { name: 'catalog_items_instructor_create_time_idx', properties: ['instructor', 'createTime', 'id'] },
    { name: 'catalog_items_instructor_title_idx', properties: ['instructor', 'title', 'id'] },
    { name: 'catalog_items_instructor_price_idx', properties: ['instructor', 'priceAmount', 'id'] },
  ],
});

export type CatalogItem = InferEntity<typeof CatalogItemSchema>;

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
