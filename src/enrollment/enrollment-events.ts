/**
 * What the enrollment use cases announce once their transaction has
 * committed, for analytics. Implementations must return at once and never
 * throw (fire-and-forget): the caller's request neither waits for nor fails
 * because of them. Replays (same request_id, a lesson completed again) are
 * not announced twice.
 */
export interface EnrollmentEvents {
  enrolled(event: { readonly userId: string; readonly catalogItemId: string; readonly enrollmentId: string; readonly at: Date }): void;
  lessonCompleted(event: { readonly userId: string; readonly catalogItemId: string; readonly lessonId: string; readonly at: Date }): void;
  /** The learner completed the item's last lesson: the enrollment is COMPLETED. */
  courseCompleted(event: {
    readonly userId: string;
    readonly catalogItemId: string;
    readonly enrollmentId: string;
    readonly at: Date;
  }): void;
}

/** Announces nothing. */
export const NO_ENROLLMENT_EVENTS: EnrollmentEvents = {
  enrolled: () => undefined,
  lessonCompleted: () => undefined,
  courseCompleted: () => undefined,
};
