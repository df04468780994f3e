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

/**
 * A lesson as plain data: what the lessons cache holds and ListLessons
 * returns. Shaped like the entity (the item as `{ id }`), so the message
 * mapping takes both.
 */
export interface LessonData {
  readonly id: string;
  readonly catalogItem: { readonly id: string };
  readonly title: string;
  readonly position: number;
  readonly createTime: Date;
  readonly updateTime: Date;
  readonly version: number;
}

/** Copies the fields of an entity: no ORM reference survives. */
export function lessonData(lesson: Lesson): LessonData {
  return {
    id: lesson.id,
    catalogItem: { id: lesson.catalogItem.id },
    title: lesson.title,
    position: lesson.position,
    createTime: lesson.createTime,
    updateTime: lesson.updateTime,
    version: lesson.version,
  };
}
