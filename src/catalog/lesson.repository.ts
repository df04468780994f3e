import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { rawQuery } from '../db/raw-query.js';
import { type ItemInstructor, instructorBy } from './catalog-item.repository.js';
import { type Lesson, LessonSchema } from './lesson.entity.js';

/** The queries of lessons. `listByCatalogItem` is the read path a cache may wrap. */
export class LessonRepository extends EntityRepository<Lesson> {
  /** The Lesson repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): LessonRepository {
    return new LessonRepository(em as SqlEntityManager, LessonSchema);
  }

  async findById(id: string): Promise<Lesson | null> {
    return this.findOne({ id });
  }

  /** Reads the lesson afresh and locks its row until the transaction ends. */
  async findByIdForUpdate(id: string): Promise<Lesson | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  /**
   * One page of an item's lessons by position, served by the unique
   * (catalog_item_id, position) index. Positions are unique within an item,
   * so the position alone is the keyset cursor.
   */
  async listByCatalogItem(catalogItemId: string, afterPosition: number, limit: number): Promise<Lesson[]> {
    return this.find({ catalogItem: catalogItemId, position: { $gt: afterPosition } }, { orderBy: { position: 'asc' }, limit });
  }

  /** The lesson holding `position` in the item, if any. */
  async findByPosition(catalogItemId: string, position: number): Promise<Lesson | null> {
    return this.findOne({ catalogItem: catalogItemId, position });
  }

  async countByCatalogItem(catalogItemId: string): Promise<number> {
    return this.count({ catalogItem: catalogItemId });
  }

  async exists(id: string): Promise<boolean> {
    const rows = await rawQuery(this.getEntityManager(), 'select 1 from lessons where id = ?', [id]);
    return rows.length > 0;
  }

  /** The id of the item a lesson belongs to; undefined when there is no such lesson. */
  async itemIdOf(id: string): Promise<string | undefined> {
    const [row] = await rawQuery<{ catalog_item_id: string }>(this.getEntityManager(), 'select catalog_item_id from lessons where id = ?', [
      id,
    ]);
    return row?.catalog_item_id;
  }

  /** The teaching user of a lesson's item (null for none), in one join; undefined when there is no such lesson. */
  async instructorOf(id: string): Promise<ItemInstructor | undefined> {
    return instructorBy(
      this.getEntityManager(),
      'select c.instructor_id from lessons l join catalog_items c on c.id = l.catalog_item_id where l.id = ?',
      id,
    );
  }

  /**
   * The (catalog_item_id, position) unique constraint is deferred so that a
   * reorder may pass through duplicates; a single create or move wants the
   * clash reported by its own statement instead, where it becomes
   * UniqueConstraintViolationException rather than a failed COMMIT.
   */
  async checkPositionsImmediately(): Promise<void> {
    await this.getEntityManager().execute('set constraints lessons_catalog_item_position_unique immediate');
  }
}
