import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../audit/audit-log.js';
import type { Enrollment } from './enrollment.entity.js';

/**
 * Withdraws the access an enrollment gives, with its audit entry, in the
 * caller's transaction. The caller holds the enrollment's row lock and has
 * decided that cancelling is allowed.
 */
export function markCancelled(tx: EntityManager, enrollment: Enrollment, actor: string, at: Date): void {
  const before = enrollment.status;
  enrollment.status = 'cancelled';
  enrollment.cancelledAt = at;
  recordAudit(tx, {
    actor,
    action: 'enrollment.cancelled',
    entityId: enrollment.id,
    diff: { status: [before, 'cancelled'], cancelled_at: [null, at.toISOString()] },
  });
}
