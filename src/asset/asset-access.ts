import type { Principal } from '../auth/principal.js';
import { type CatalogItemData, mayViewCatalogItem } from '../catalog/catalog.js';

/** What a caller may do with an item's assets: manage them, see the READY ones, or nothing (NOT_FOUND). */
export type AssetAccess = 'manage' | 'view' | 'none';

/**
 * Visibility follows the item (mayViewCatalogItem, decided per call on the
 * item as read): whoever may not see the item sees none of its assets. Of a
 * visible item, its own assets (a cover) are seen by all; lesson material
 * only by learners enrolled in it (active or completed). The instructor,
 * admins and internal services manage them. `isLearner` is asked only when
 * it decides.
 */
export async function assetAccess(
  principal: Principal,
  item: CatalogItemData,
  lessonMaterial: boolean,
  isLearner: () => Promise<boolean>,
): Promise<AssetAccess> {
  if (!mayViewCatalogItem(principal, item)) return 'none';
  if (managesItem(principal, item)) return 'manage';
  if (!lessonMaterial) return 'view';
  return principal.kind === 'user' && (await isLearner()) ? 'view' : 'none';
}

/** The item's instructor, admins and internal services. */
export function managesItem(principal: Principal, item: CatalogItemData): boolean {
  if (principal.kind === 'service') return true;
  return principal.kind === 'user' && (principal.role === 'admin' || item.instructor?.id === principal.id);
}
