import { EnrollmentServiceService as E } from '../../generated/campus/enrollment/v1/enrollment.js';
import type { AccessLookups } from '../auth/access-lookups.js';
import { type MethodRule, type OnItem, rule } from '../auth/access-rule.js';
import { is, item, owns, teaches, viaLesson } from '../auth/rule-helpers.js';

/** The rows of the rule table for campus.enrollment.v1.EnrollmentService (see src/auth/rules.ts). */
export function enrollmentRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(E.enroll, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.userId) },
      note: 'own: `user_id` is the caller',
    }),
    rule(E.getEnrollment, {
      onItem: (req, l) => viaEnrollment(l, req.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner', 'teacher'], admin: 'all', service: 'all',
      after: {
        owner: (p, enrollment) => is(p, enrollment.userId),
        teacher: (p, enrollment, l) => teaches(p, l.catalogItem(enrollment.catalogItemId)),
      },
      note: 'checked on the enrollment read',
    }),
    rule(E.listEnrollments, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: ['owner'], instructor: ['owner', 'teacher'], admin: 'all', service: 'all',
      before: {
        owner: (p, req) => is(p, req.userId),
        teacher: (p, req, l) => req.userId === '' && req.catalogItemId !== '' && teaches(p, l.catalogItem(req.catalogItemId)),
      },
      note: 'own: by `user_id` = the caller; teaches: by `catalog_item_id` of an item they teach',
    }),
    rule(E.cancelEnrollment, {
      onItem: (req, l) => viaEnrollment(l, req.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: async (p, req, l) => owns(p, (await l.enrollment(req.id))?.userId) },
      note: "the enrollment's owner is looked up before anything changes",
    }),
    rule(E.recordLessonCompletion, {
      onItem: (req, l) => viaLesson(l, req.lessonId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.userId) },
    }),
    rule(E.getProgress, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: ['owner'], instructor: ['owner', 'teacher'], admin: 'all', service: 'all',
      before: {
        owner: (p, req) => is(p, req.userId),
        teacher: (p, req, l) => teaches(p, l.catalogItem(req.catalogItemId)),
      },
    }),
  ];
}

/** The call names an enrollment in the item. */
function viaEnrollment(lookups: AccessLookups, id: string): OnItem | undefined {
  return id ? { itemId: lookups.enrollment(id).then((e) => e?.catalogItemId), asked: { type: 'Enrollment', name: id } } : undefined;
}
