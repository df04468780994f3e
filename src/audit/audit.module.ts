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
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    audit_log: {
      class: 'local',
      why: 'append-only, read by entity, actor or time across all users; an audited per-user write commits on two nodes (the coordinator and the user\u2019s worker), never on more',
    },
  },
  rules: auditRules,
  auditActions: {},
  start: (deps: AuditModuleDeps): { readonly handlers: AuditServiceServer } => ({
    handlers: auditHandlers(deps.unary, new AuditService(deps.em, deps.tokens)),
  }),
} as const satisfies DomainModule;
