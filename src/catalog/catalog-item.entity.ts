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
