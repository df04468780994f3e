import { analyticsModule } from './analytics/analytics.module.js';
import { assetModule } from './asset/asset.module.js';
import { auditModule } from './audit/audit.module.js';
import { auditedActionsOf } from './audit/audited-actions.js';
import { billingModule } from './billing/billing.module.js';
import { catalogModule } from './catalog/catalog.module.js';
import type { DomainModule } from './domain-module.js';
import { enrollmentModule } from './enrollment/enrollment.module.js';
import { forumModule } from './forum/forum.module.js';
import { identityModule } from './identity/identity.module.js';

/**
 * Every domain of the service, each declared by its `<domain>.module.ts`. The
 * rule table (`ruleTableOf(MODULES, ...)`, src/auth/rules.ts), the ORM's
 * entities (src/db) and the audited actions are composed from this list, in
 * its order: the order of the tables in docs/security.md.
 */
export const MODULES: readonly DomainModule[] = [
  identityModule,
  catalogModule,
  enrollmentModule,
  billingModule,
  auditModule,
  forumModule,
  analyticsModule,
  assetModule,
];

/** Every action the audit log records (action -> when), from the modules. */
export const AUDITED_ACTIONS = auditedActionsOf(MODULES);
