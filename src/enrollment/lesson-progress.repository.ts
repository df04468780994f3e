import type { EntityManager } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { rawQuery, rawWrite } from '../db/raw-query.js';
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
   * Records a completion of `lessonId` by `userId` with its `lesson_completed`
   * outbox event, in one statement that needs no transaction around it: it
   * finds the user's enrollment in the lesson's item and row-locks it for its
   * own run, so a cancellation committing meanwhile is seen (its status is
   * read after the lock) and a cancelled enrollment records nothing. A second
   * completion of the same lesson inserts nothing and announces nothing.
   * Undefined when the lesson is unknown or the user is not enrolled in its
   * item. The progress it leads to is read afterwards (see progress): a
   * statement that waited for the lock still reads the other completions as
   * of its start, so only a later statement sees every one that committed.
   */
  async recordCompletion(
    userId: string,
    lessonId: string,
    at: Date,
  ): Promise<
    | { readonly enrollmentId: string; readonly catalogItemId: string; readonly status: EnrollmentStatus; readonly inserted: boolean }
    | undefined
  > {
    const event = outboxInsertWhere('from inserted', {
      type: 'lesson_completed',
      userId,
      catalogItemIdSql: 'inserted.catalog_item_id',
      lessonId: lessonId.toLowerCase(),
      occurTime: at,
    });
    const [row] = await rawWrite<{ id: string; catalog_item_id: string; status: EnrollmentStatus; inserted: boolean }>(
      this.getEntityManager(),
      `with enrollment as (
         select e.id, e.catalog_item_id, e.status
           from enrollments e join lessons l on l.catalog_item_id = e.catalog_item_id
          where l.id = ? and e.user_id = ?
            for update of e
       ), inserted as (
         insert into lesson_progress (id, user_id, catalog_item_id, lesson_id, completed_at)
         select ?, ?, enrollment.catalog_item_id, ?, ? from enrollment where enrollment.status <> 'cancelled'
         on conflict (user_id, lesson_id) do nothing returning catalog_item_id
       ), announced as (
         ${event.sql}
       )
       select enrollment.id, enrollment.catalog_item_id, enrollment.status, exists(select 1 from inserted) as inserted from enrollment`,
      [lessonId, userId, uuidv7(), userId, lessonId, at, ...event.params],
    );
    return row && { enrollmentId: row.id, catalogItemId: row.catalog_item_id, status: row.status, inserted: row.inserted };
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
