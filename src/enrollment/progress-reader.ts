import type { EnrollmentStatus } from './enrollment.entity.js';

/** How far a user got in a catalog item they are (or were) enrolled in. */
export interface Progress {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly enrollmentId: string;
  readonly enrollmentStatus: EnrollmentStatus;
  /** Ids of the completed lessons of the item, in lesson order. */
  readonly completedLessonIds: readonly string[];
  readonly totalLessons: number;
  /** 0..100; 0 for an item without lessons. */
  readonly percent: number;
}

/**
 * Reads progress. Kept this small so that a cache can wrap it; writers
 * invalidate after their transaction commits.
 */
export interface ProgressReader {
  /** Undefined when the user has no enrollment in the item. */
  progress(userId: string, catalogItemId: string): Promise<Progress | undefined>;
}

export function percentOf(completed: number, total: number): number {
  return total === 0 ? 0 : Math.min(100, (completed / total) * 100);
}
