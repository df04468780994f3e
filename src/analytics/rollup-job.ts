import type { EntityManager } from '@mikro-orm/mongodb';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { Logger } from '../logger.js';
import { DailyRollupSchema } from './daily-rollup.entity.js';
import { AnalyticsEventSchema } from './event.entity.js';
import { addDays, oldestRecordableTime, utcDay } from './retention.js';

export interface RollupJobSettings {
  /** Between runs; 0 means no periodic runs (refreshes on demand still work). */
  readonly intervalMs: number;
  /** Days back the first run after start recomputes. */
  readonly lookbackDays: number;
  readonly eventTtlDays: number;
}

/** Received-time overlap between runs, for clocks of replicas that disagree a little. */
const OVERLAP_MS = 60_000;

/**
 * Materializes the daily rollups from raw events. Each run recomputes, in
 * full, every UTC day that has an event received since the previous run
 * (the last `lookbackDays` on the first run): idempotent, so overlapping
 * runs, several replicas or a rerun after a crash do no harm, and late
 * events are counted on the day they occurred.
 *
 * Results are written with `$merge` (real MongoDB). When the server cannot
 * run `$merge` (the in-process stand-in), the same pipeline is aggregated
 * without it and the results are upserted on the business key
 * (catalogItemId, day) with one unordered bulkWrite.
 */
export class RollupJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastRunStart: Date | undefined;
  private mergeUnsupported = false;
  private stopped = false;

  constructor(
    private readonly em: EntityManager,
    private readonly settings: RollupJobSettings,
    private readonly log: Logger,
  ) {}

  /** Runs now, then every `intervalMs`; does nothing when the interval is 0. */
  start(): void {
    if (this.settings.intervalMs === 0) return;
    const tick = () => {
      this.running = this.run()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'analytics rollup failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.settings.intervalMs).unref();
        });
    };
    tick();
  }

  /** No further runs; waits for the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One run: recompute every day touched since the previous run. */
  async run(now = new Date()): Promise<{ days: number }> {
    const since = this.lastRunStart
      ? new Date(this.lastRunStart.getTime() - OVERLAP_MS)
      : addDays(utcDay(now), -this.settings.lookbackDays + 1);
    const touched = await this.events
      .aggregate<{ _id: Date }>([
        { $match: { receiveTime: { $gte: since } } },
        { $group: { _id: { $dateTrunc: { date: '$occurTime', unit: 'day' } } } },
      ])
      .toArray();
    const oldest = oldestRecordableTime(now, this.settings.eventTtlDays);
    const days = touched.map((t) => t._id).filter((d) => d.getTime() >= oldest.getTime());
    if (days.length > 0) {
      await this.recompute({
        $or: days.map((day) => ({ occurTime: { $gte: day, $lt: addDays(day, 1) } })),
      });
    }
    this.lastRunStart = now;
    this.log.debug({ days: days.length }, 'analytics rollup run');
    return { days: days.length };
  }

  /**
   * Recomputes one item's days in [from, to) now (GetCourseEngagement with
   * refresh), within retention.
   */
  async refresh(catalogItemId: string, from: Date, to: Date, timeLimit: { maxTimeMS?: number } = {}): Promise<void> {
    const start = new Date(Math.max(from.getTime(), oldestRecordableTime(new Date(), this.settings.eventTtlDays).getTime()));
    if (start >= to) return;
    await this.recompute({ catalogItemId, occurTime: { $gte: start, $lt: to } }, timeLimit);
  }

  private get events() {
    return this.em.getCollection<Document>(AnalyticsEventSchema.meta.collection);
  }

  private async recompute(match: Document, timeLimit: { maxTimeMS?: number } = {}): Promise<void> {
    const computeTime = new Date();
    const pipeline: Document[] = [
      { $match: match },
      {
        $group: {
          _id: { catalogItemId: '$catalogItemId', day: { $dateTrunc: { date: '$occurTime', unit: 'day' } } },
          learners: { $addToSet: '$userId' },
          lessonsCompleted: countOf('lesson_completed'),
          postsWritten: countOf('post_created'),
          lessonViews: countOf('lesson_viewed'),
          enrollments: countOf('enrolled'),
        },
      },
      {
        $project: {
          _id: 0,
          catalogItemId: '$_id.catalogItemId',
          day: '$_id.day',
          activeLearners: { $size: '$learners' },
          lessonsCompleted: 1,
          postsWritten: 1,
          lessonViews: 1,
          enrollments: 1,
          computeTime: { $literal: computeTime },
        },
      },
    ];
    const into = DailyRollupSchema.meta.collection;
    if (!this.mergeUnsupported) {
      try {
        await this.events
          .aggregate(
            [...pipeline, { $merge: { into, on: ['catalogItemId', 'day'], whenMatched: 'merge', whenNotMatched: 'insert' } }],
            timeLimit,
          )
          .toArray();
        return;
      } catch (err) {
        if (
          !(
            err instanceof Error &&
            /collectionResolver|\$merge/.test(err.message) &&
            /not supported|requires|unrecognized/i.test(err.message)
          )
        ) {
          throw err;
        }
        this.mergeUnsupported = true;
        this.log.info('MongoDB server cannot run $merge; rollups are written with bulk upserts');
      }
    }
    const rows = await this.events.aggregate<Document>(pipeline, timeLimit).toArray();
    if (rows.length === 0) return;
    const ops: AnyBulkWriteOperation<Document>[] = rows.map(({ catalogItemId, day, ...figures }) => ({
      updateOne: { filter: { catalogItemId, day }, update: { $set: figures }, upsert: true },
    }));
    await this.em.getCollection<Document>(into).bulkWrite(ops, { ordered: false, ...timeLimit });
  }
}

function countOf(type: string): Document {
  return { $sum: { $cond: [{ $eq: ['$type', type] }, 1, 0] } };
}
