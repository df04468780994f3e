import { CatalogServiceService as C } from '../../generated/campus/catalog/v1/catalog.js';
import type { AccessLookups, ItemAccess } from '../auth/access-lookups.js';
import { type MethodRule, type OnItem, rule } from '../auth/access-rule.js';
import type { Principal } from '../auth/principal.js';
import { is, item, teaches, viaLesson } from '../auth/rule-helpers.js';
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
