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
export { type CatalogReads, catalogReads, type ItemInstructor, type ItemStanding } from './catalog-reads.js';
