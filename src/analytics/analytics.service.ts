import type { EntityManager } from '@mikro-orm/mongodb';
import type { Document } from 'mongodb';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { DomainError } from '../errors/domain-error.js';
import { FieldChecks } from '../validation/field-checks.js';
import { DailyRollupSchema } from './daily-rollup.entity.js';
import type { EventIngest, EventInput, IngestResult } from './event-ingest.js';
import { addDays, utcDay } from './retention.js';
import type { RollupJob } from './rollup-job.js';

export const MAX_BATCH = 1000;
export const MAX_RANGE_DAYS = 366;

export interface EngagementQuery {
  readonly catalogItemId: string;
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly refresh: boolean;
}

export interface DailyEngagement {
  readonly day: Date;
  readonly activeLearners: number;
  readonly lessonsCompleted: number;
  readonly postsWritten: number;
}

/** Use cases of learning analytics. Knows nothing of gRPC; throws DomainError. */
export class AnalyticsService {
  constructor(
    /** The request-scoped MongoDB EntityManager. */
    private readonly em: EntityManager,
    private readonly ingest: EventIngest,
    private readonly rollups: RollupJob,
  ) {}

  async recordEvents(events: readonly EventInput[]): Promise<IngestResult> {
    if (events.length === 0 || events.length > MAX_BATCH) {
      const description = `events must hold 1 to ${MAX_BATCH} events`;
      throw new DomainError('INVALID_ARGUMENT', 'INVALID_FIELDS', description, {
        fieldViolations: [{ field: 'events', reason: events.length === 0 ? 'FIELD_REQUIRED' : 'TOO_MANY', description }],
      });
    }
    return this.ingest.record(events);
  }

  /**
   * One entry per UTC day of the range, from the daily rollups (an
   * aggregation over `analytics_daily_rollups`); with `refresh`, the item's
   * days are recomputed from raw events first.
   */
  async courseEngagement(query: EngagementQuery): Promise<DailyEngagement[]> {
    const checks = new FieldChecks().uuid(query.catalogItemId, 'catalog_item_id');
    checks.required(query.startTime, 'start_time');
    checks.required(query.endTime, 'end_time');
    checks.throwIfAny();
    const from = utcDay(query.startTime as Date);
    const to = query.endTime as Date;
    const days = Math.ceil((to.getTime() - from.getTime()) / 86_400_000);
    checks.check(to > from, 'end_time', 'INVALID_RANGE', 'end_time must be after start_time');
    checks.check(days <= MAX_RANGE_DAYS, 'end_time', 'RANGE_TOO_LONG', `the range may span at most ${MAX_RANGE_DAYS} days`);
    checks.throwIfAny();
    const catalogItemId = query.catalogItemId.toLowerCase();

    if (query.refresh) await this.rollups.refresh(catalogItemId, from, to, mongoTimeLimit());
    const rows = await this.em
      .getCollection<Document>(DailyRollupSchema.meta.collection)
      .aggregate<DailyEngagement>(
        [
          { $match: { catalogItemId, day: { $gte: from, $lt: to } } },
          { $sort: { day: 1 } },
          { $project: { _id: 0, day: 1, activeLearners: 1, lessonsCompleted: 1, postsWritten: 1 } },
        ],
        mongoTimeLimit(),
      )
      .toArray();
    const byDay = new Map(rows.map((r) => [r.day.getTime(), r]));
    return Array.from({ length: days }, (_, i) => {
      const day = addDays(from, i);
      return byDay.get(day.getTime()) ?? { day, activeLearners: 0, lessonsCompleted: 0, postsWritten: 0 };
    });
  }
}
