import type { ServiceDefinition } from '@grpc/grpc-js';
import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as MongoEntityManager } from '@mikro-orm/mongodb';
import type { Registry } from 'prom-client';
import { AnalyticsServiceService } from '../../generated/campus/analytics/v1/analytics.js';
import type { DomainModule } from '../domain-module.js';
import type { Logger } from '../logger.js';
import type { Unary } from '../server/unary.js';
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
export interface AnalyticsModuleDeps {
  /** The request-scoped MongoDB EntityManager: events and rollups. */
  readonly mongo: MongoEntityManager;
  /** The request-scoped PostgreSQL EntityManager: the roles and titles an event is stored with. */
  readonly pg: EntityManager;
  /** How long events are kept (ANALYTICS_EVENT_TTL_DAYS). */
  readonly eventTtlDays: number;
  readonly rollups: RollupJobSettings;
  readonly registry: Registry;
  readonly log: Logger;
  readonly unary: Unary;
}

/** Learning events and their daily rollups (MongoDB). */
export const analyticsModule = {
  definitions: [AnalyticsServiceService],
  entities: [],
  mongoEntities: [AnalyticsEventSchema, DailyRollupSchema],
  rules: analyticsRules,
  auditActions: {},
  start: (deps: AnalyticsModuleDeps) => {
    const ingest = new EventIngest(deps.mongo, postgresEventContext(deps.pg), deps.eventTtlDays);
    const rollups = new RollupJob(deps.mongo, deps.rollups, deps.log);
    const service = new AnalyticsService(deps.mongo, ingest, rollups);
    return {
      services: [[AnalyticsServiceService, analyticsHandlers(deps.unary, service)]] as readonly [ServiceDefinition, object][],
      /** Where the outbox relay hands the events that follow a commit. */
      ingest,
      /** Best-effort events that follow no stored fact. */
      recorder: new EventRecorder(ingest, deps.log, deps.registry),
      rollups,
    };
  },
} as const satisfies DomainModule;
