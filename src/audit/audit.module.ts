import { AuditServiceService } from '../../generated/campus/audit/v1/audit.js';
import type { DomainModule } from '../domain-module.js';
import { auditRules } from './audit.rules.js';
import { AuditEntrySchema } from './audit-entry.entity.js';

/** The audit log: every domain writes to it (recordAudit, audit-log.ts); admins list it. */
export const auditModule = {
  definitions: [AuditServiceService],
  entities: [AuditEntrySchema],
  rules: auditRules,
  auditActions: {},
} as const satisfies DomainModule;
