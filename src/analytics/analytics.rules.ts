import { AnalyticsServiceService as N } from '../../generated/campus/analytics/v1/analytics.js';
import { type MethodRule, rule } from '../auth/access-rule.js';
import { is, item, teaches } from '../auth/rule-helpers.js';

/** The rows of the rule table for campus.analytics.v1.AnalyticsService (see src/auth/rules.ts). */
export function analyticsRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(N.recordEvents, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => req.events.every((event) => is(p, event.userId)) },
      note: 'own: every event is about the caller (`user_id`)',
    }),
    rule(N.getCourseEngagement, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: 'none', instructor: ['teacher'], admin: 'all', service: 'all',
      before: { teacher: (p, req, l) => teaches(p, l.catalogItem(req.catalogItemId)) },
    }),
  ];
}
