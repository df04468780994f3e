import type { Principal } from '../auth/principal.js';

/**
 * Who may read a catalog item: a published one, everyone; an unpublished
 * one, admins, its instructor and internal services. Decided per call on
 * the item as read (cached or not), never stored with it, so a cached item
 * cannot show an unpublished item to a caller who may not see it. Readers
 * answer NOT_FOUND when this is false, so an unpublished item's existence
 * does not leak either.
 */
export function mayViewCatalogItem(
  principal: Principal,
  item: { readonly published: boolean; readonly instructor: { readonly id: string } | null | undefined },
): boolean {
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
