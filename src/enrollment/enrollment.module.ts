import { EnrollmentServiceService } from '../../generated/campus/enrollment/v1/enrollment.js';
import type { DomainModule } from '../domain-module.js';
import { EnrollmentSchema } from './enrollment.entity.js';
import { enrollmentRules } from './enrollment.rules.js';
import { LessonProgressSchema } from './lesson-progress.entity.js';

/** What the enrollment domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const ENROLLMENT_AUDIT_ACTIONS = {
  'enrollment.created': 'Enroll',
  'enrollment.completed': 'RecordLessonCompletion of the last lesson',
  'enrollment.cancelled': 'CancelEnrollment, and RefundPayment (which cancels the enrollment)',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof ENROLLMENT_AUDIT_ACTIONS, string> {}
}

/** Enrollments in catalog items and the progress of their learners. */
export const enrollmentModule = {
  definitions: [EnrollmentServiceService],
  entities: [EnrollmentSchema, LessonProgressSchema],
  rules: enrollmentRules,
  auditActions: ENROLLMENT_AUDIT_ACTIONS,
} as const satisfies DomainModule;
