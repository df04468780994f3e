import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { CatalogItemSchema } from './catalog-item.entity.js';

/** One lesson of a catalog item; `position` orders them, 1-based and unique per item. */
export const LessonSchema = defineEntity({
  name: 'Lesson',
  tableName: 'lessons',
  properties: {
    id: p.uuid().primary(),
    catalogItem: () => p.manyToOne(CatalogItemSchema).deleteRule('cascade'),
    title: p.text(),
    position: p.integer(),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    version: p.integer().version(),
  },
  checks: [{ name: 'lessons_position_check', expression: 'position > 0' }],
  // Deferred, so that reordering inside one transaction may pass through duplicates.
  uniques: [{ name: 'lessons_catalog_item_position_unique', properties: ['catalogItem', 'position'], deferMode: 'deferred' }],
});

export type Lesson = InferEntity<typeof LessonSchema>;
