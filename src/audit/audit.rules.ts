import { AuditServiceService } from '../../generated/campus/audit/v1/audit.js';
import { type MethodRule, rule } from '../auth/access-rule.js';

/** The rows of the rule table for campus.audit.v1.AuditService (see src/auth/rules.ts). */
export function auditRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(AuditServiceService.listAuditEntries, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),
  ];
}
