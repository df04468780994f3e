import { type AuditServiceServer, AuditServiceService } from '../../generated/campus/audit/v1/audit.js';
import type { DomainModule, ModuleContext } from '../domain-module.js';
import { auditHandlers } from './audit.handler.js';
import { auditRules } from './audit.rules.js';
import { AuditService } from './audit.service.js';
import { AuditEntrySchema } from './audit-entry.entity.js';

/** What the audit module takes from the composition root. */
export interface AuditModuleDeps extends ModuleContext {}

/** The audit log: every domain writes to it (recordAudit, audit-log.ts); admins list it. */
export const auditModule = {
  definitions: [AuditServiceService],
  entities: [AuditEntrySchema],
  rules: auditRules,
  auditActions: {},
  start: (deps: AuditModuleDeps): { readonly handlers: AuditServiceServer } => ({
    handlers: auditHandlers(deps.unary, new AuditService(deps.em, deps.tokens)),
  }),
} as const satisfies DomainModule;
