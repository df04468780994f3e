import type { EntityManager } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { rawQuery } from '../db/raw-query.js';
import { outboxInsertWhere } from '../outbox/record-outbox-event.js';
import type { EnrollmentStatus } from './enrollment.entity.js';
import { type LessonProgress, LessonProgressSchema } from './lesson-progress.entity.js';
import { type Progress, type ProgressReader, percentOf } from './progress-reader.js';

// The lessons of item $1 that user $2 completed, in lesson order. Lessons
// are counted through the lessons table, so a lesson deleted from the item
// stops counting, and a lesson counts once however often it was completed.
const COMPLETED_LESSON_IDS = `array(
    select l.id::text from lessons l
     where l.catalog_item_id = ?
       and exists(select 1 from lesson_progress lp where lp.user_id = ? and lp.lesson_id = l.id)
     order by l.position, l.id)`;

export class LessonProgressRepository extends EntityRepository<LessonProgress> implements ProgressReader {
  /** The LessonProgress repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): LessonProgressRepository {
    return new LessonProgressRepository(em as SqlEntityManager, LessonProgressSchema);
  }

  /** Progress in one statement: the enrollment, the lesson count and the completed lessons. */
  async progress(userId: string, catalogItemId: string): Promise<Progress | undefined> {
    const [row] = await rawQuery<{ id: string; status: EnrollmentStatus; total_lessons: number; completed_lesson_ids: string[] }>(
      this.getEntityManager(),
      `select e.id, e.status,
              (select count(*)::int from lessons where catalog_item_id = ?) as total_lessons,
              ${COMPLETED_LESSON_IDS} as completed_lesson_ids
         from enrollments e where e.user_id = ? and e.catalog_item_id = ?`,
      [catalogItemId, catalogItemId, userId, userId, catalogItemId],
    );
    if (!row) return undefined;
    return progressOf(userId, catalogItemId, row.id, row.status, row.completed_lesson_ids, row.total_lessons);
  }

  /**
   * Records the completion (a second one of the same lesson inserts nothing)
   * with its `lesson_completed` outbox event, and returns the progress
   * including it, and whether this call inserted it, in one statement. Run it
   * inside the transaction that locked the enrollment.
   */
  async recordCompletion(
    enrollment: { readonly id: string; readonly catalogItemId: string; readonly status: EnrollmentStatus },
    userId: string,
    lessonId: string,
    at: Date,
  ): Promise<{ readonly progress: Progress; readonly inserted: boolean }> {
    const item = enrollment.catalogItemId;
    // The insert's row is invisible to the rest of this statement (PostgreSQL
    // runs a data-modifying WITH once, whether or not it is read), so the
    // completed list names the lesson itself rather than re-reading it.
    // A lesson completed again records no event either.
    const event = outboxInsertWhere('exists (select 1 from inserted)', {
      type: 'lesson_completed',
      userId,
      catalogItemId: item,
      lessonId: lessonId.toLowerCase(),
      occurTime: at,
    });
    const [row] = await rawQuery<{ total_lessons: number; completed_lesson_ids: string[]; inserted: boolean }>(
      this.getEntityManager(),
      `with inserted as (
         insert into lesson_progress (id, user_id, catalog_item_id, lesson_id, completed_at)
         values (?, ?, ?, ?, ?) on conflict (user_id, lesson_id) do nothing returning lesson_id
       ), announced as (
         ${event.sql}
       )
       select (select count(*)::int from lessons where catalog_item_id = ?) as total_lessons,
              array(select l.id::text from lessons l
                     where l.catalog_item_id = ?
                       and (l.id = ? or exists(select 1 from lesson_progress lp where lp.user_id = ? and lp.lesson_id = l.id))
                     order by l.position, l.id) as completed_lesson_ids,
              exists(select 1 from inserted) as inserted`,
      [uuidv7(), userId, item, lessonId, at, ...event.params, item, item, lessonId, userId],
    );
    if (!row) throw new Error('record completion query returned no row');
    return {
      progress: progressOf(userId, item, enrollment.id, enrollment.status, row.completed_lesson_ids, row.total_lessons),
      inserted: row.inserted,
    };
  }
}

function progressOf(
  userId: string,
  catalogItemId: string,
  enrollmentId: string,
  enrollmentStatus: EnrollmentStatus,
  completedLessonIds: string[],
  totalLessons: number,
): Progress {
  return {
    userId,
    catalogItemId,
    enrollmentId,
    enrollmentStatus,
    completedLessonIds,
    totalLessons,
    percent: percentOf(completedLessonIds.length, totalLessons),
  };
}
