import type { EntityManager } from '@mikro-orm/mongodb';
import { MongoBulkWriteError, ObjectId } from 'mongodb';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { DomainError } from '../errors/domain-error.js';
import { FieldChecks } from '../validation/field-checks.js';
import { checkFreeForm } from '../validation/free-form.js';
import { type AnalyticsEvent, AnalyticsEventSchema, type EventType } from './event.entity.js';
import type { EventContext } from './event-context.js';
import { oldestRecordableTime } from './retention.js';

/** An event as a caller gives it; `type` undefined means unknown. */
export interface EventInput {
  readonly type: EventType | undefined;
  readonly userId: string;
  readonly catalogItemId: string;
  /** Empty when the event concerns no lesson. */
  readonly lessonId: string;
  readonly occurTime: Date | undefined;
  readonly properties: Record<string, unknown>;
  /** Set by the outbox relay: an event with this id is stored once, however often it is recorded. */
  readonly eventId?: string;
}

/** Why the event at `index` of a batch was not recorded. */
export interface EventRejection {
  readonly index: number;
  /** Field path inside the event; empty for a write error. */
  readonly field: string;
  readonly reason: string;
  readonly description: string;
}

export interface IngestResult {
  readonly acceptedCount: number;
  readonly rejections: EventRejection[];
}

/** Events may be this far ahead of our clock (clients' clocks drift). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Checks, denormalizes and writes a batch of events: one lookup per kind of
 * context, then ONE unordered insertMany (not the unit of work), so a bad
 * event is reported by its index and the others are written.
 */
export class EventIngest {
  constructor(
    /** The MongoDB EntityManager (only its collection is used). */
    private readonly em: EntityManager,
    private readonly context: EventContext,
    private readonly ttlDays: number,
  ) {}

  async record(events: readonly EventInput[]): Promise<IngestResult> {
    const now = new Date();
    const oldest = oldestRecordableTime(now, this.ttlDays);
    const rejections: EventRejection[] = [];
    const valid: { index: number; event: EventInput }[] = [];
    events.forEach((event, index) => {
      const violation = firstViolation(event, now, oldest);
      if (violation) rejections.push({ index, ...violation });
      else valid.push({ index, event });
    });
    if (valid.length === 0) return { acceptedCount: 0, rejections };

    const [roles, titles] = await Promise.all([
      this.context.userRoles(valid.map((v) => v.event.userId.toLowerCase())),
      this.context.itemTitles(valid.map((v) => v.event.catalogItemId.toLowerCase())),
    ]);
    const ttlMs = this.ttlDays * 86_400_000;
    const docs: { index: number; doc: Omit<AnalyticsEvent, 'id'> }[] = [];
    for (const { index, event } of valid) {
      const userId = event.userId.toLowerCase();
      const catalogItemId = event.catalogItemId.toLowerCase();
      const role = roles.get(userId);
      const title = titles.get(catalogItemId);
      if (role === undefined) {
        rejections.push({ index, field: 'user_id', reason: 'UNKNOWN_USER', description: `no user ${userId}` });
        continue;
      }
      if (title === undefined) {
        rejections.push({
          index,
          field: 'catalog_item_id',
          reason: 'UNKNOWN_CATALOG_ITEM',
          description: `no catalog item ${catalogItemId}`,
        });
        continue;
      }
      const occurTime = event.occurTime as Date;
      docs.push({
        index,
        doc: {
          _id: new ObjectId(),
          type: event.type as EventType,
          userId,
          catalogItemId,
          lessonId: event.lessonId === '' ? null : event.lessonId.toLowerCase(),
          occurTime,
          receiveTime: now,
          expireAt: new Date(occurTime.getTime() + ttlMs),
          properties: event.properties,
          catalogItemTitle: title,
          userRole: role,
          eventId: event.eventId ?? null,
        },
      });
    }

    let failed: EventRejection[] = [];
    if (docs.length > 0) {
      try {
        await this.write(docs.map((d) => d.doc as AnalyticsEvent));
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        // Unordered: every document without a write error was inserted.
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        failed = errors.map((e) => ({
          index: docs[e.index]?.index ?? -1,
          field: '',
          reason: 'WRITE_FAILED',
          description: `the event could not be stored (MongoDB error ${e.code})`,
        }));
      }
    }
    rejections.push(...failed);
    rejections.sort((a, b) => a.index - b.index);
    return { acceptedCount: docs.length - failed.length, rejections };
  }

  /** One unordered write: inserts, except events with an id, which are upserted on it and the shard key (stored once). */
  private async write(docs: AnalyticsEvent[]): Promise<void> {
    const collection = this.em.getCollection(AnalyticsEventSchema);
    if (docs.every((doc) => !doc.eventId)) {
      await collection.insertMany(docs, { ordered: false, ...mongoTimeLimit() });
      return;
    }
    await collection.bulkWrite(
      docs.map((doc) =>
        doc.eventId
          ? {
              updateOne: {
                // The full shard key with the id: on a sharded cluster an upsert must name its shard.
                filter: { catalogItemId: doc.catalogItemId, occurTime: doc.occurTime, eventId: doc.eventId },
                update: { $setOnInsert: doc },
                upsert: true,
              },
            }
          : { insertOne: { document: doc } },
      ),
      { ordered: false, ...mongoTimeLimit() },
    );
  }
}

function firstViolation(event: EventInput, now: Date, oldest: Date): Omit<EventRejection, 'index'> | undefined {
  const checks = new FieldChecks()
    .check(event.type !== undefined, 'type', 'INVALID_ENUM', 'type must be a known event type')
    .uuid(event.userId, 'user_id')
    .uuid(event.catalogItemId, 'catalog_item_id');
  if (event.lessonId !== '') checks.uuid(event.lessonId, 'lesson_id');
  if (checks.required(event.occurTime, 'occur_time') && event.occurTime) {
    const at = event.occurTime.getTime();
    checks.check(at <= now.getTime() + MAX_CLOCK_SKEW_MS, 'occur_time', 'IN_FUTURE', 'occur_time is in the future');
    checks.check(at >= oldest.getTime(), 'occur_time', 'TOO_OLD', `occur_time is before ${oldest.toISOString()}, outside retention`);
  }
  checkFreeForm(checks, event.properties, 'properties');
  try {
    checks.throwIfAny();
    return undefined;
  } catch (err) {
    const first = err instanceof DomainError ? err.details.fieldViolations?.[0] : undefined;
    if (!first) throw err;
    return { field: first.field, reason: first.reason, description: first.description };
  }
}
