import type { AccessLookups, ItemAccess } from './access-lookups.js';
import type { OnItem } from './access-rule.js';
import type { Principal } from './principal.js';

/**
 * Small pieces the domains' rule rows (`src/<domain>/<domain>.rules.ts`)
 * share: who the caller is to a user id, an item, a looked-up resource.
 */

/** True when `id` names the calling user. */
export function is(principal: Principal, id: string | undefined): boolean {
  return principal.kind === 'user' && id !== undefined && id.toLowerCase() === principal.id;
}

/**
 * Whether the caller owns a looked-up resource. A resource that does not
 * exist (or a malformed id) goes on to the service, which answers NOT_FOUND or
 * INVALID_ARGUMENT and changes nothing.
 */
export function owns(principal: Principal, ownerId: string | undefined): boolean {
  return ownerId === undefined || is(principal, ownerId);
}

/** Whether the caller teaches the looked-up item; an unknown item goes on to the service (NOT_FOUND). */
export async function teaches(principal: Principal, item: Promise<ItemAccess | undefined>): Promise<boolean> {
  const found = await item;
  return found === undefined || is(principal, found.instructorId ?? undefined);
}

/** The call names the catalog item itself (an empty id names none). */
export function item(id: string | undefined): OnItem | undefined {
  return id ? { itemId: id, asked: { type: 'CatalogItem', name: id } } : undefined;
}

/** The call names a lesson of the item. */
export function viaLesson(lookups: AccessLookups, id: string | undefined): OnItem | undefined {
  return id ? { itemId: lookups.lessonItemId(id), asked: { type: 'Lesson', name: id } } : undefined;
}
