import type { Principal } from '../auth/principal.js';
import { notFound, type ResourceRef } from '../errors/domain-error.js';

/** What the visibility rule needs to know of a catalog item. */
export interface CatalogItemVisibility {
  readonly published: boolean;
  readonly instructor: { readonly id: string } | null | undefined;
}

/**
 * Who may read a catalog item, and everything that hangs off it (lessons,
 * enrollments, progress, forum threads and posts, analytics, assets): a
 * published one, everyone; an unpublished one, admins, its instructor and
 * internal services. Decided per call on the item as read (cached or not),
 * never stored with it, so a cached item cannot show an unpublished item to a
 * caller who may not see it. Readers answer NOT_FOUND when this is false, so
 * an unpublished item's existence does not leak either.
 */
export function mayViewCatalogItem(principal: Principal, item: CatalogItemVisibility): boolean {
  if (item.published) return true;
  switch (principal.kind) {
    case 'service':
      return true;
    case 'user':
      return principal.role === 'admin' || item.instructor?.id === principal.id;
    case 'anonymous':
      return false;
  }
}

/** True when the principal sees every item whatever its state, so nothing needs to be read to decide. */
export function seesEveryCatalogItem(principal: Principal): boolean {
  return principal.kind === 'service' || (principal.kind === 'user' && principal.role === 'admin');
}

/**
 * Throws NOT_FOUND naming `asked` (what the caller asked for: the item, or
 * the lesson, thread, post... that hangs off it) unless the item exists and
 * `principal` may see it: a hidden item and whatever hangs off it answer
 * exactly as a missing one does.
 */
export function requireCatalogItemVisible(principal: Principal, item: CatalogItemVisibility | undefined, asked: ResourceRef): void {
  if (!item || !mayViewCatalogItem(principal, item)) throw notFound(asked.type, asked.name);
}
