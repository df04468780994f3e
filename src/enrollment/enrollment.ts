import type { EntityManager } from '@mikro-orm/core';
import { type EnrollmentParties, EnrollmentRepository } from './enrollment.repository.js';

export type { EnrollmentParties };

/**
 * What the other domains read of the enrollment domain's tables
 * (enrollments, lesson_progress), each one statement on `em`. Ids are taken
 * as given: a caller checks their form first.
 */
export interface EnrollmentReads {
  /** Who an enrollment belongs to and who teaches its item; undefined when there is no such enrollment. */
  enrollmentParties(id: string): Promise<EnrollmentParties | undefined>;
  /** Whether the user holds an active or completed enrollment in the item. */
  isEnrolled(userId: string, catalogItemId: string): Promise<boolean>;
}

/** EnrollmentReads over `em` (the request's unit of work, or a transaction's). */
export function enrollmentReads(em: EntityManager): EnrollmentReads {
  return {
    enrollmentParties: (id) => EnrollmentRepository.of(em).partiesOf(id),
    isEnrolled: (userId, catalogItemId) => EnrollmentRepository.of(em).isLearner(userId, catalogItemId),
  };
}
