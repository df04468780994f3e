import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as MongoEntityManager } from '@mikro-orm/mongodb';
import { Counter, type Registry } from 'prom-client';
import { EVENT_TYPES, type EventType } from '../analytics/event.entity.js';
import type { EventIngest, EventRejection } from '../analytics/event-ingest.js';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { rawQuery } from '../db/raw-query.js';
import { PostSchema } from '../forum/post.entity.js';
import type { Logger } from '../logger.js';
import { BacklogGauges } from '../metrics/backlog-gauges.js';

const BATCH = 500;

interface OutboxRow {
  id: string;
  type: string;
  user_id: string;
  catalog_item_id: string;
  lesson_id: string | null;
  occur_time: Date;
  properties: Record<string, unknown>;
}

/**
 * Moves analytics events from the PostgreSQL outbox to MongoDB, at least
 * once: a batch is row-locked (SKIP LOCKED, so replicas share the work),
 * written to MongoDB upserted on its outbox id, and deleted in the same
 * transaction. A crash after the MongoDB write leaves the rows, and the
 * next run writes them again onto the same events: each arrives once.
 * Events MongoDB refuses for good (an unknown user or item) are counted
 * `rejected` and dropped; a failed write leaves them for the next run.
 * `outbox_pending_events` and `outbox_relay_lag_seconds` (age of the oldest
 * event not yet relayed, 0 when none) are set after every run.
 */
export class OutboxRelay {
  private readonly backlog: BacklogGauges;
  private readonly relayed: Counter<'outcome'>;

  constructor(
    private readonly em: EntityManager,
    /** MongoDB, where the forum keeps its outbox in the posts themselves. */
    private readonly mongo: MongoEntityManager,
    private readonly ingest: EventIngest,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.backlog = new BacklogGauges(
      registry,
      { name: 'outbox_pending_events', help: 'Outbox events not yet relayed to analytics, as of the last relay run.' },
      {
        name: 'outbox_relay_lag_seconds',
        help: 'Age of the oldest outbox event not yet relayed to analytics, as of the last relay run; 0 when none.',
      },
      'outbox_events',
    );
    this.relayed = new Counter({
      name: 'outbox_relayed_events_total',
      help: 'Outbox events relayed to analytics, by outcome (recorded, rejected).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Relays batches until the outbox is empty (or a batch fails), then updates the gauges. */
  async run(): Promise<{ relayed: number }> {
    let relayed = 0;
    try {
      for (;;) {
        const n = await this.relayBatch();
        relayed += n;
        if (n < BATCH) break;
      }
      for (;;) {
        const n = await this.relayPosts();
        relayed += n;
        if (n < BATCH) break;
      }
    } finally {
      await this.backlog.measure(this.em).catch((err: unknown) => this.log.warn({ err }, 'outbox gauges not updated'));
    }
    return { relayed };
  }

  /**
   * The forum's outbox: posts still marked `analyticsPendingSince` (set by
   * the insert of the post itself) become `post_created` events, upserted on
   * the post id, and are then unmarked. A crash between the two writes the
   * event again onto the same document: stored once.
   */
  private async relayPosts(): Promise<number> {
    const posts = this.mongo.fork().getCollection(PostSchema);
    const pending = await posts
      .find({ analyticsPendingSince: { $gt: new Date(0) } }, { sort: { analyticsPendingSince: 1 }, limit: BATCH, ...mongoTimeLimit() })
      .toArray();
    if (pending.length === 0) return 0;
    const { acceptedCount, rejections } = await this.ingest.record(
      pending.map((post) => ({
        eventId: post._id.toHexString(),
        type: 'post_created' as const,
        userId: post.authorId,
        catalogItemId: post.catalogItemId,
        lessonId: '',
        occurTime: post.createTime,
        properties: { threadId: post.threadId, postId: post._id.toHexString() },
      })),
    );
    return this.settle(pending, acceptedCount, rejections, async (done) => {
      await posts.updateMany({ _id: { $in: done.map((p) => p._id) } }, { $unset: { analyticsPendingSince: '' } }, mongoTimeLimit());
    });
  }

  /** Counts a relayed batch and removes from its outbox every event not to be retried (all but failed writes). */
  private async settle<T>(
    batch: readonly T[],
    acceptedCount: number,
    rejections: readonly EventRejection[],
    remove: (done: T[]) => Promise<unknown>,
  ): Promise<number> {
    const retry = new Set(rejections.filter((r) => r.reason === 'WRITE_FAILED').map((r) => r.index));
    const done = batch.filter((_item, index) => !retry.has(index));
    if (done.length > 0) await remove(done);
    const rejected = rejections.length - retry.size;
    this.relayed.inc({ outcome: 'recorded' }, acceptedCount);
    if (rejected > 0) {
      this.relayed.inc({ outcome: 'rejected' }, rejected);
      this.log.warn({ rejections: rejections.slice(0, 5), count: rejected }, 'outbox events rejected by analytics');
    }
    // Left in the outbox for the next run.
    if (retry.size > 0) this.log.warn({ count: retry.size }, 'outbox events not written to analytics; retried next run');
    return done.length;
  }

  private async relayBatch(): Promise<number> {
    return this.em.fork().transactional(async (tx) => {
      const rows = await rawQuery<OutboxRow>(
        tx,
        `select id, type, user_id, catalog_item_id, lesson_id, occur_time, properties
           from outbox_events order by create_time, id limit ${BATCH} for update skip locked`,
        [],
      );
      if (rows.length === 0) return 0;
      const { acceptedCount, rejections } = await this.ingest.record(
        rows.map((row) => ({
          eventId: row.id,
          type: (EVENT_TYPES as readonly string[]).includes(row.type) ? (row.type as EventType) : undefined,
          userId: row.user_id,
          catalogItemId: row.catalog_item_id,
          lessonId: row.lesson_id ?? '',
          occurTime: new Date(row.occur_time),
          properties: row.properties,
        })),
      );
      return this.settle(rows, acceptedCount, rejections, (done) =>
        rawQuery(
          tx,
          `delete from outbox_events where id in (${done.map(() => '?').join(', ')})`,
          done.map((row) => row.id),
        ),
      );
    });
  }
}
