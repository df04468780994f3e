import type { EntityManager } from '@mikro-orm/core';
import type { PaidEnrollment, PaidEnrollments } from '../billing/billing.js';
import { onCommit } from '../db/transaction.js';
import type { Enrollment } from './enrollment.entity.js';
import { EnrollmentRepository } from './enrollment.repository.js';
import { LessonProgressRepository } from './lesson-progress.repository.js';
import { markCancelled } from './mark-cancelled.js';
import type { ProgressCache } from './progress.cache.js';

/**
 * A locked enrollment as billing sees it (see PaidEnrollment): withdrawing it
 * cancels it in `tx`, and once that commits the learner's cached progress in
 * the item is invalidated.
 */
export function paidEnrollment(tx: EntityManager, enrollment: Enrollment, progressCache: ProgressCache): PaidEnrollment {
  return {
    id: enrollment.id,
    userId: enrollment.user.id,
    catalogItemId: enrollment.catalogItem.id,
    enrolledAt: enrollment.enrolledAt,
    cancelled: enrollment.status === 'cancelled',
    completionPercent: async () =>
      (await LessonProgressRepository.of(tx).progress(enrollment.user.id, enrollment.catalogItem.id))?.percent ?? 0,
    withdraw: (actor, at) => {
      markCancelled(tx, enrollment, actor, at);
      onCommit(tx, () => progressCache.invalidate(enrollment.user.id, enrollment.catalogItem.id));
    },
  };
}

/** The enrollments billing is paid for, as billing asks for them (a refund locks, checks and withdraws one). */
export function paidEnrollments(progressCache: ProgressCache): PaidEnrollments {
  return {
    lock: async (tx, enrollmentId) => {
      const enrollment = await EnrollmentRepository.of(tx).lockById(enrollmentId);
      return enrollment ? paidEnrollment(tx, enrollment, progressCache) : undefined;
    },
  };
}
