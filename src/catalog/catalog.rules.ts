import { CatalogServiceService as C } from '../../generated/campus/catalog/v1/catalog.js';
import type { AccessLookups, CatalogItemVisibility, ItemAccess } from '../auth/access-lookups.js';
import { type MethodRule, type OnItem, rule } from '../auth/access-rule.js';
import type { Principal } from '../auth/principal.js';
import { is, item, teaches, viaLesson } from '../auth/rule-helpers.js';
import { notFound, type ResourceRef } from '../errors/domain-error.js';
import { updatesField } from '../validation/field-mask.js';

/** The rows of the rule table for campus.catalog.v1.CatalogService (see src/auth/rules.ts). */
export function catalogRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(C.createCatalogItem, {
      anonymous: 'none', student: 'none', instructor: ['teacher'], admin: 'all', service: 'all',
      before: { teacher: (p, req) => !req.catalogItem?.instructorId || is(p, req.catalogItem.instructorId) },
      note: 'instructors create items they teach (instructor_id empty or their own id; they become its instructor)',
    }),
    rule(C.getCatalogItem, {
      anonymous: ['public'], student: ['public'], instructor: ['public', 'teacher'], admin: 'all', service: 'all',
      byService: ['public', 'teacher'], refusedAsNotFound: true,
      note: 'the catalog service decides on the item read (cached or not); a hidden item is NOT_FOUND',
    }),
    rule(C.batchGetCatalogItems, {
      anonymous: ['public'], student: ['public'], instructor: ['public', 'teacher'], admin: 'all', service: 'all',
      byService: ['public', 'teacher'], refusedAsNotFound: true,
      note: 'every item asked for must be visible to the caller, else NOT_FOUND naming the first hidden one',
    }),
    rule(C.listCatalogItems, {
      anonymous: ['public'], student: ['public'], instructor: ['public', 'teacher'], admin: 'all', service: 'all',
      before: { public: (_p, req) => req.published === true, teacher: (p, req) => is(p, req.instructorId) },
      note: 'published: the request asks for `published: true`; teaches: `instructor_id` is the caller',
    }),
    rule(C.updateCatalogItem, {
      onItem: (req) => item(req.catalogItem?.id),
      anonymous: 'none', student: 'none', instructor: ['teacher'], admin: 'all', service: 'all',
      before: { teacher: (p, req, l) => teaches(p, l.catalogItem(req.catalogItem?.id ?? '')) },
      limit: (p, req) =>
        changesInstructor(req.updateMask, req.catalogItem?.instructorId) && !is(p, req.catalogItem?.instructorId)
          ? { reason: 'ADMIN_REQUIRED', message: 'only an admin may give a catalog item to another instructor' }
          : undefined,
      note: 'instructors cannot hand their items to someone else',
    }),
    rule(C.deleteCatalogItem, teacherOnly((req, l) => l.catalogItem(req.id), (req) => item(req.id))),
    rule(C.publishCatalogItem, teacherOnly((req, l) => l.catalogItem(req.id), (req) => item(req.id))),
    rule(C.unpublishCatalogItem, teacherOnly((req, l) => l.catalogItem(req.id), (req) => item(req.id))),
    rule(C.searchCatalogItems, {
      anonymous: 'all', student: 'all', instructor: 'all', admin: 'all', service: 'all',
      note: 'finds published items only',
    }),
    rule(C.createLesson, teacherOnly((req, l) => l.catalogItem(req.catalogItemId), (req) => item(req.catalogItemId))),
    rule(C.listLessons, {
      anonymous: ['public'], student: ['public'], instructor: ['public', 'teacher'], admin: 'all', service: 'all',
      byService: ['public', 'teacher'], refusedAsNotFound: true,
      note: "the catalog service decides on the item read (cached or not); a hidden item's lessons are NOT_FOUND",
    }),
    rule(C.updateLesson, teacherOnly((req, l) => l.lessonItem(req.lesson?.id ?? ''), (req, l) => viaLesson(l, req.lesson?.id))),
    rule(C.deleteLesson, teacherOnly((req, l) => l.lessonItem(req.id), (req, l) => viaLesson(l, req.id))),
  ];
}

/** Changes to a catalog item the instructor of which may make (and admins and services). */
function teacherOnly<Req>(
  item: (req: Req, lookups: AccessLookups) => Promise<ItemAccess | undefined>,
  onItem: (req: Req, lookups: AccessLookups) => OnItem | undefined,
) {
  return {
    onItem,
    anonymous: 'none',
    student: 'none',
    instructor: ['teacher'],
    admin: 'all',
    service: 'all',
    before: { teacher: (p: Principal, req: Req, l: AccessLookups) => teaches(p, item(req, l)) },
  } as const;
}

/** Whether an UpdateCatalogItem sets instructor_id (AIP-134, see fieldsToUpdate). */
function changesInstructor(mask: readonly string[] | undefined, instructorId: string | undefined): boolean {
  return updatesField(mask, 'instructor_id', (instructorId ?? '') !== '');
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
