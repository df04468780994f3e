import type { Lesson } from './lesson.entity.js';

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
