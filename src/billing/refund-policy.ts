import type { Principal } from '../auth/principal.js';
import { DomainError, type PreconditionViolation } from '../errors/domain-error.js';

/** When a learner may take their money back themselves (REFUND_WINDOW_DAYS, REFUND_MAX_COMPLETION_PERCENT). */
export interface RefundPolicy {
  /** Days after enrolling in which the learner may cancel or refund. */
  readonly windowDays: number;
  /** The learner may cancel or refund while less than this share of the lessons (0..100) is completed. */
  readonly maxCompletionPercent: number;
}

export const DEFAULT_REFUND_POLICY: RefundPolicy = { windowDays: 14, maxCompletionPercent: 30 };

/**
 * The one refund rule, for CancelEnrollment and RefundPayment alike: the
 * learner may give a paid enrollment back within `windowDays` of enrolling
 * and while below `maxCompletionPercent` of its lessons; beyond that only an
 * admin or an internal service (the billing service) may. A broken rule is
 * FAILED_PRECONDITION with a PreconditionFailure naming each broken rule
 * (type `REFUND_POLICY`, subject `refund_window_days` or
 * `refund_max_completion_percent`). Call it inside the transaction that
 * locked the enrollment (see PaidEnrollment).
 */
export async function checkRefundPolicy(
  policy: RefundPolicy,
  caller: Principal,
  enrollment: { readonly enrolledAt: Date; completionPercent(): Promise<number> },
  now: Date,
): Promise<void> {
  if (caller.kind === 'service' || (caller.kind === 'user' && caller.role === 'admin')) return;
  const violations: PreconditionViolation[] = [];
  const daysSince = (now.getTime() - enrollment.enrolledAt.getTime()) / 86_400_000;
  if (daysSince > policy.windowDays) {
    violations.push({
      type: 'REFUND_POLICY',
      subject: 'refund_window_days',
      description: `a learner may refund within ${policy.windowDays} days of enrolling; ask an admin`,
    });
  }
  if ((await enrollment.completionPercent()) >= policy.maxCompletionPercent) {
    violations.push({
      type: 'REFUND_POLICY',
      subject: 'refund_max_completion_percent',
      description: `a learner may refund while below ${policy.maxCompletionPercent}% of the lessons are completed; ask an admin`,
    });
  }
  const [first] = violations;
  if (first) {
    const reason = first.subject === 'refund_window_days' ? 'REFUND_WINDOW_PASSED' : 'REFUND_COMPLETION_EXCEEDED';
    throw new DomainError('FAILED_PRECONDITION', reason, first.description, { preconditionViolations: violations });
  }
}
