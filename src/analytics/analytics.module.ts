import { AnalyticsServiceService } from '../../generated/campus/analytics/v1/analytics.js';
import type { DomainModule } from '../domain-module.js';
import { analyticsRules } from './analytics.rules.js';
import { DailyRollupSchema } from './daily-rollup.entity.js';
import { AnalyticsEventSchema } from './event.entity.js';

/** Learning events and their daily rollups (MongoDB). */
export const analyticsModule = {
  definitions: [AnalyticsServiceService],
  entities: [],
  mongoEntities: [AnalyticsEventSchema, DailyRollupSchema],
  rules: analyticsRules,
  auditActions: {},
} as const satisfies DomainModule;
