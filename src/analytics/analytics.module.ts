import type { EntityManager as MongoEntityManager } from '@mikro-orm/mongodb';
import { AnalyticsServiceService } from '../../generated/campus/analytics/v1/analytics.js';
import type { DomainModule, ModuleContext, ServedServices } from '../domain-module.js';
import { analyticsHandlers } from './analytics.handler.js';
import { analyticsRules } from './analytics.rules.js';
import { AnalyticsService } from './analytics.service.js';
import { DailyRollupSchema } from './daily-rollup.entity.js';
import { AnalyticsEventSchema } from './event.entity.js';
import { postgresEventContext } from './event-context.js';
import { EventIngest } from './event-ingest.js';
import { EventRecorder } from './event-recorder.js';
import { RollupJob, type RollupJobSettings } from './rollup-job.js';

/** What the analytics module takes from the composition root. */
export interface AnalyticsModuleDeps extends ModuleContext {
  /** The request-scoped MongoDB EntityManager: events and rollups. */
  readonly mongo: MongoEntityManager;
  /** How long events are kept (ANALYTICS_EVENT_TTL_DAYS). */
  readonly eventTtlDays: number;
  readonly rollups: RollupJobSettings;
}

/** Learning events and their daily rollups (MongoDB). */
export const analyticsModule = {
  definitions: [AnalyticsServiceService],
  entities: [],
  mongoEntities: [AnalyticsEventSchema, DailyRollupSchema],
  /** How its collections shard on MongoDB (the plan, src/db/sharding-plan.ts). */
  collections: {
    analytics_events: {
      shardKey: { catalogItemId: 1, occurTime: 1 },
      why: 'high write volume; a course\u2019s events by time, backed by the refresh index; the relay\u2019s upsert carries the full key',
      singleShard: ['refresh of one item\u2019s days', 'the relay\u2019s upsert of an outbox event'],
      allShards: ['rollup of whole days', 'days touched since the last run (by receive time)'],
    },
    analytics_daily_rollups: {
      why: 'one document per course and day: small, stays unsharded',
    },
  },
  rules: analyticsRules,
  auditActions: {},
  start: (deps: AnalyticsModuleDeps) => {
    const ingest = new EventIngest(deps.mongo, postgresEventContext(deps.em), deps.eventTtlDays);
    const rollups = new RollupJob(deps.mongo, deps.rollups, deps.log);
    const service = new AnalyticsService(deps.mongo, ingest, rollups);
    return {
      services: [[AnalyticsServiceService, analyticsHandlers(deps.unary, service)]] as ServedServices,
      /** Where the outbox relay hands the events that follow a commit. */
      ingest,
      /** Best-effort events that follow no stored fact. */
      recorder: new EventRecorder(ingest, deps.log, deps.registry),
      rollups,
    };
  },
} as const satisfies DomainModule;
