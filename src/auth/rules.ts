import { AnalyticsServiceService } from '../../generated/campus/analytics/v1/analytics.js';
import { AuditServiceService } from '../../generated/campus/audit/v1/audit.js';
import { PaymentServiceService } from '../../generated/campus/billing/v1/payment.js';
import { CatalogServiceService } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceService } from '../../generated/campus/enrollment/v1/enrollment.js';
import { ForumServiceService } from '../../generated/campus/forum/v1/forum.js';
import { AuthServiceService } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceService } from '../../generated/campus/identity/v1/user.js';
import { assetModule } from '../asset/asset.module.js';
import { updatesField } from '../validation/field-mask.js';
import type { AccessLookups, ItemAccess } from './access-lookups.js';
import { type Limit, type OnItem, type RuleTable, rule } from './access-rule.js';
import type { Principal } from './principal.js';

/** What the rules depend on besides the call. */
export interface RuleSettings {
  /** ALLOW_SIGNUP: whether anyone may create a student account. */
  readonly allowSignup: boolean;
}

const U = UserServiceService;
const A = AuthServiceService;
const C = CatalogServiceService;
const E = EnrollmentServiceService;
const P = PaymentServiceService;
const F = ForumServiceService;
const N = AnalyticsServiceService;

/**
 * Who may call what: one row per RPC of every service, one grant per kind of
 * caller (`all`, `none`, or the relations that let them in; see access-rule.ts).
 * A method missing here is refused to everyone. Services may call only the
 * methods their token lists; within those they are trusted like admins, except
 * that they create students only. docs/security.md shows this table
 * (`npm run docs:security`).
 */
export function authorizationRules(settings: RuleSettings): RuleTable {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return Object.fromEntries([
    // campus.identity.v1.UserService
    rule(U.createUser, {
      anonymous: ['signup'], student: ['signup'], instructor: ['signup'], admin: 'all', service: ['new_student'],
      before: {
        signup: (_p, req) => settings.allowSignup && !privilegedRole(req.user?.role),
        new_student: (_p, req) => !privilegedRole(req.user?.role),
      },
      note: 'instructors and admins are created by admins only; sign-up (`ALLOW_SIGNUP`, default on) creates students',
      deniedReason: 'ADMIN_REQUIRED',
    }),
    rule(U.getUser, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.id) },
      note: 'own: their own user',
    }),
    rule(U.batchGetUsers, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),
    rule(U.listUsers, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),
    rule(U.updateUser, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.user?.id) },
      limit: (_p, req) => (changesRole(req.updateMask, req.user?.role) ? { reason: 'ADMIN_REQUIRED', message: 'only an admin may change a role' } : undefined),
      note: 'own: their own name and email; only admins change roles',
    }),
    rule(U.deleteUser, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),

    // campus.identity.v1.AuthService
    rule(A.login, { anonymous: 'all', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),
    rule(A.logout, { anonymous: 'none', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),
    rule(A.whoAmI, { anonymous: 'all', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),

    // campus.catalog.v1.CatalogService
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

    // campus.enrollment.v1.EnrollmentService
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

    // campus.billing.v1.PaymentService
    rule(P.getPayment, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      after: { owner: (p, payment) => is(p, payment.userId) },
      note: 'checked on the payment read',
    }),
    rule(P.listPayments, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.userId) },
    }),
    rule(P.refundPayment, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: async (p, req, l) => owns(p, await l.paymentOwner(req.id)) },
      note: "the payment's owner is looked up before anything changes",
    }),

    // campus.audit.v1.AuditService
    rule(AuditServiceService.listAuditEntries, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),

    // campus.forum.v1.ForumService
    rule(F.createThread, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.authorId) },
      note: '`author_id` is the caller; the forum service also requires them to be enrolled in, or teach, the item',
    }),
    rule(F.getThread, { ...signedIn(), onItem: (req, l) => viaThread(l, req.id) }),
    rule(F.listThreads, { ...signedIn(), onItem: (req) => item(req.catalogItemId) }),
    rule(F.createPost, {
      onItem: (req, l) => viaThread(l, req.threadId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.authorId) },
      note: '`author_id` is the caller; the forum service also requires them to be enrolled in, or teach, the item',
    }),
    rule(F.listPosts, { ...signedIn(), onItem: (req, l) => viaThread(l, req.threadId) }),
    rule(F.updatePost, {
      onItem: (req, l) => viaPost(l, req.post?.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      byService: ['owner'],
      limit: actorIsCaller((req) => req.actorId),
      note: "`actor_id` is the caller; the forum service checks that they wrote the post",
    }),
    rule(F.deletePost, {
      onItem: (req, l) => viaPost(l, req.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner', 'teacher'], admin: 'all', service: 'all',
      byService: ['owner', 'teacher'],
      limit: actorIsCaller((req) => req.actorId),
      note: "`actor_id` is the caller; the forum service checks that they wrote the post or teach the item (moderation)",
    }),

    // campus.analytics.v1.AnalyticsService
    rule(N.recordEvents, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => req.events.every((event) => is(p, event.userId)) },
      note: 'own: every event is about the caller (`user_id`)',
    }),
    rule(N.getCourseEngagement, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: 'none', instructor: ['teacher'], admin: 'all', service: 'all',
      before: { teacher: (p, req, l) => teaches(p, l.catalogItem(req.catalogItemId)) },
    }),

    ...assetModule.rules(),
  ]);
}

/** True when `id` names the calling user. */
function is(principal: Principal, id: string | undefined): boolean {
  return principal.kind === 'user' && id !== undefined && id.toLowerCase() === principal.id;
}

/**
 * Whether the caller owns a looked-up resource. A resource that does not
 * exist (or a malformed id) goes on to the service, which answers NOT_FOUND or
 * INVALID_ARGUMENT and changes nothing.
 */
function owns(principal: Principal, ownerId: string | undefined): boolean {
  return ownerId === undefined || is(principal, ownerId);
}

/** Whether the caller teaches the looked-up item; an unknown item goes on to the service (NOT_FOUND). */
async function teaches(principal: Principal, item: Promise<ItemAccess | undefined>): Promise<boolean> {
  const found = await item;
  return found === undefined || is(principal, found.instructorId ?? undefined);
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

/** The call names the catalog item itself (an empty id names none). */
function item(id: string | undefined): OnItem | undefined {
  return id ? { itemId: id, asked: { type: 'CatalogItem', name: id } } : undefined;
}

/** The call names a lesson of the item. */
function viaLesson(lookups: AccessLookups, id: string | undefined): OnItem | undefined {
  return id ? { itemId: lookups.lessonItemId(id), asked: { type: 'Lesson', name: id } } : undefined;
}

/** The call names an enrollment in the item. */
function viaEnrollment(lookups: AccessLookups, id: string): OnItem | undefined {
  return id ? { itemId: lookups.enrollment(id).then((e) => e?.catalogItemId), asked: { type: 'Enrollment', name: id } } : undefined;
}

/** The call names a thread of the item's forum. */
function viaThread(lookups: AccessLookups, id: string): OnItem | undefined {
  return id ? { itemId: lookups.threadItemId(id), asked: { type: 'Thread', name: id } } : undefined;
}

/** The call names a post of the item's forum. */
function viaPost(lookups: AccessLookups, id: string | undefined): OnItem | undefined {
  return id ? { itemId: lookups.postItemId(id), asked: { type: 'Post', name: id } } : undefined;
}

/** Readable by every signed-in caller. */
function signedIn() {
  return { anonymous: 'none', student: 'all', instructor: 'all', admin: 'all', service: 'all' } as const;
}

/** Requests that name who asks must name the caller. */
function actorIsCaller<Req>(actorOf: (req: Req) => string): Limit<Req> {
  return (p, req) =>
    is(p, actorOf(req)) ? undefined : { reason: 'ACTOR_NOT_CALLER', message: 'actor_id must be the id of the signed-in user' };
}

function privilegedRole(role: Role | undefined): boolean {
  return role === Role.ROLE_INSTRUCTOR || role === Role.ROLE_ADMIN;
}

/** Whether an UpdateUser changes the role (AIP-134, see fieldsToUpdate). */
function changesRole(mask: readonly string[] | undefined, role: Role | undefined): boolean {
  return updatesField(mask, 'role', role !== undefined && role !== Role.ROLE_UNSPECIFIED);
}

/** Whether an UpdateCatalogItem sets instructor_id (AIP-134, see fieldsToUpdate). */
function changesInstructor(mask: readonly string[] | undefined, instructorId: string | undefined): boolean {
  return updatesField(mask, 'instructor_id', (instructorId ?? '') !== '');
}
