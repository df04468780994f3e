import type { AuditEntry as AuditEntryMessage, AuditServiceServer } from '../../generated/campus/audit/v1/audit.js';
import type { Unary } from '../server/unary.js';
import type { AuditService } from './audit.service.js';
import type { AuditEntry } from './audit-entry.entity.js';

/** campus.audit.v1.AuditService: proto in, use case, proto out. */
export function auditHandlers(unary: Unary, audit: AuditService): AuditServiceServer {
  return {
    listAuditEntries: unary(async (req) => {
      const page = await audit.list({
        entityType: req.entityType,
        entityId: req.entityId,
        actor: req.actor,
        startTime: req.startTime,
        endTime: req.endTime,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { auditEntries: page.items.map(toMessage), nextPageToken: page.nextPageToken };
    }),
  };
}

export function toMessage(entry: AuditEntry): AuditEntryMessage {
  return {
    id: entry.id,
    actor: entry.actor,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    diff: entry.diff,
    createTime: entry.createTime,
  };
}
