import type { EntityManager } from '@mikro-orm/core';
import { type AuditServiceServer, AuditServiceService } from '../../generated/campus/audit/v1/audit.js';
import type { DomainModule } from '../domain-module.js';
import type { PageTokens } from '../pagination/page-token.js';
import type { Unary } from '../server/unary.js';
import { auditHandlers } from './audit.handler.js';
import { auditRules } from './audit.rules.js';
import { AuditService } from './audit.service.js';
import { AuditEntrySchema } from './audit-entry.entity.js';

/** What the audit module takes from the composition root. */
export interface AuditModuleDeps {
  /** The request-scoped PostgreSQL EntityManager. */
  readonly em: EntityManager;
  readonly tokens: PageTokens;
  readonly unary: Unary;
}

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
