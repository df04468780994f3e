import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
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
