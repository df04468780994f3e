/**
 * What the catalog offers the other domains: a catalog item as read (cached
 * or not) and the visibility rule that everything hanging off an item
 * follows. Nothing outside src/catalog imports its other files (see
 * test/architecture/domain-boundaries.test.ts).
 */
export type { CatalogItemCache } from './catalog-item.cache.js';
export type { CatalogItemData } from './catalog-item-data.js';
export { mayViewCatalogItem } from './catalog-item-visibility.js';
