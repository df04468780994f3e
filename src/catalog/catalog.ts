import type { EntityManager } from '@mikro-orm/core';
import type { Money } from '../validation/money.js';
import { CatalogItemRepository, type ItemInstructor, type ItemStanding } from './catalog-item.repository.js';
import { LessonRepository } from './lesson.repository.js';

/**
 * What the catalog offers the other domains: a catalog item as read (cached
 * or not), the visibility rule that everything hanging off an item follows,
 * and the reads of its tables they need (CatalogReads). Nothing outside
 * src/catalog imports its other files (see
 * test/architecture/domain-boundaries.test.ts).
 */
export type { CatalogItemCache } from './catalog-item.cache.js';

declare module '../events/domain-events.js' {
  interface DomainEventMap {
    /** A lesson of the item was created, changed or deleted (committed): its lessons' count and order changed. */
    'catalog.lessons_changed': { readonly catalogItemId: string };
  }
}

export { mayViewCatalogItem, requireCatalogItemVisible, seesEveryCatalogItem } from './catalog.rules.js';
export type { CatalogItemData } from './catalog-item.entity.js';

export type { ItemInstructor, ItemStanding };

/**
 * What the other domains read of the catalog's tables (catalog_items,
 * lessons), each one statement on `em` (inside its transaction when it has
 * one). Ids are taken as given: a caller checks their form first.
 */
export interface CatalogReads {
  /** Undefined when there is no such item. */
  instructorOfItem(itemId: string): Promise<ItemInstructor | undefined>;
  /** The instructor of a lesson's item; undefined when there is no such lesson. */
  instructorOfLesson(lessonId: string): Promise<ItemInstructor | undefined>;
  /** The id of the item a lesson belongs to; undefined when there is no such lesson. */
  itemOfLesson(lessonId: string): Promise<string | undefined>;
  lessonExists(lessonId: string): Promise<boolean>;
  /** A lesson and the item it belongs to; undefined when there is no such lesson. */
  lesson(lessonId: string): Promise<{ readonly id: string; readonly catalogItemId: string } | undefined>;
  /**
   * The item's price still to charge for the request `requestId` of
   * `operation` (its idempotency record, src/idempotency, not yet written);
   * undefined when there is nothing to charge: no such item, a free one, or
   * a request that already committed.
   */
  priceToCharge(itemId: string, operation: string, requestId: string): Promise<Money | undefined>;
  /** The title of each existing item among `ids`. */
  titlesOf(ids: readonly string[]): Promise<Map<string, string>>;
  /** Whether a user teaches (or, as an admin, runs) an item and is enrolled in it; undefined when there is no such item. */
  standingOf(itemId: string, userId: string): Promise<ItemStanding | undefined>;
}

/** CatalogReads over `em` (the request's unit of work, or a transaction's). */
export function catalogReads(em: EntityManager): CatalogReads {
  const items = () => CatalogItemRepository.of(em);
  const lessons = () => LessonRepository.of(em);
  return {
    instructorOfItem: (itemId) => items().instructorOf(itemId),
    instructorOfLesson: (lessonId) => lessons().instructorOf(lessonId),
    itemOfLesson: (lessonId) => lessons().itemIdOf(lessonId),
    lessonExists: (lessonId) => lessons().exists(lessonId),
    lesson: async (lessonId) => {
      const lesson = await lessons().findById(lessonId);
      return lesson ? { id: lesson.id, catalogItemId: lesson.catalogItem.id } : undefined;
    },
    priceToCharge: (itemId, operation, requestId) => items().priceToCharge(itemId, operation, requestId),
    titlesOf: (ids) => items().titlesOf(ids),
    standingOf: (itemId, userId) => items().standingOf(itemId, userId),
  };
}
