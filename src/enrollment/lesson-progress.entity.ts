import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { CatalogItemSchema } from '../catalog/catalog-item.entity.js';
import { LessonSchema } from '../catalog/lesson.entity.js';
import { UserSchema } from '../identity/user.entity.js';

/** That a user completed a lesson; one row per (user, lesson). */
export const LessonProgressSchema = defineEntity({
  name: 'LessonProgress',
  tableName: 'lesson_progress',
  properties: {
    /** The distribution column. */
    user: () => p.manyToOne(UserSchema).deleteRule('restrict').primary(),
    id: p.uuid().primary(),
    catalogItem: () => p.manyToOne(CatalogItemSchema).deleteRule('restrict'),
    lesson: () => p.manyToOne(LessonSchema).deleteRule('cascade').index('lesson_progress_lesson_idx'),
    completedAt: p.datetime(),
  },
  uniques: [{ name: 'lesson_progress_user_lesson_unique', properties: ['user', 'lesson'] }],
  indexes: [
    { name: 'lesson_progress_user_catalog_item_idx', properties: ['user', 'catalogItem'] },
    { name: 'lesson_progress_catalog_item_idx', properties: ['catalogItem'] },
  ],
});

export type LessonProgress = InferEntity<typeof LessonProgressSchema>;
