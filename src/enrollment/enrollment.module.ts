import { EnrollmentServiceService } from '../../generated/campus/enrollment/v1/enrollment.js';
import type { Billing } from '../billing/billing.js';
import { DISTRIBUTION_COLUMN } from '../db/shard-classes.js';
import type { DomainModule, ModuleContext, ServedServices } from '../domain-module.js';
import { EnrollmentSchema } from './enrollment.entity.js';
import { enrollmentHandlers } from './enrollment.handler.js';
import { enrollmentRules } from './enrollment.rules.js';
import { EnrollmentService } from './enrollment.service.js';
import { LessonProgressSchema } from './lesson-progress.entity.js';
import type { ProgressCache } from './progress.cache.js';

/** What the enrollment domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const ENROLLMENT_AUDIT_ACTIONS = {
  'enrollment.created': 'Enroll',
  'enrollment.completed': 'RecordLessonCompletion of the last lesson',
  'enrollment.cancelled': 'CancelEnrollment, and RefundPayment (which cancels the enrollment)',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof ENROLLMENT_AUDIT_ACTIONS, string> {}
}

/** What the enrollment module takes from the composition root. */
export interface EnrollmentModuleDeps extends ModuleContext {
  /** Charges and refunds, inside the enrollment's transaction. */
  readonly billing: Billing;
  /** Made before the module: billing's refunds drop a learner's cached progress too (see paidEnrollments). */
  readonly progress: ProgressCache;
}

/** Enrollments in catalog items and the progress of their learners. */
export const enrollmentModule = {
  definitions: [EnrollmentServiceService],
  entities: [EnrollmentSchema, LessonProgressSchema],
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    enrollments: {
      class: 'distributed',
      column: DISTRIBUTION_COLUMN,
      why: 'per user; key (user_id, id), unique (user_id, catalog_item_id)',
      allShards: [
        'GetEnrollment',
        'CancelEnrollment (the lookup by id and its access check)',
        'ListEnrollments by catalog item',
        'DeleteCatalogItem (is anyone enrolled?)',
      ],
    },
    lesson_progress: {
      class: 'distributed',
      column: DISTRIBUTION_COLUMN,
      why: 'per user; key (user_id, id), unique (user_id, lesson_id)',
    },
  },
  rules: enrollmentRules,
  auditActions: ENROLLMENT_AUDIT_ACTIONS,
  start: (deps: EnrollmentModuleDeps): { readonly services: ServedServices } => ({
    services: [
      [EnrollmentServiceService, enrollmentHandlers(deps.unary, new EnrollmentService(deps.em, deps.billing, deps.tokens, deps.progress))],
    ],
  }),
} as const satisfies DomainModule;
