import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import type { EventType } from '../analytics/event.entity.js';
import { OutboxEventSchema } from './outbox-event.entity.js';

export interface OutboxEventInput {
  readonly type: EventType;
  readonly userId: string;
  readonly catalogItemId: string;
  /** Undefined when the event concerns no lesson. */
  readonly lessonId?: string;
  readonly occurTime: Date;
  readonly properties?: Record<string, unknown>;
}

/**
 * Queues an analytics event in the caller's transaction: it commits with the
 * fact it follows or not at all, and the OutboxRelay writes it to MongoDB
 * afterwards, at least once, stored once.
 */
export function recordOutboxEvent(tx: EntityManager, event: OutboxEventInput): void {
  tx.create(OutboxEventSchema, { ...rowOf(event), catalogItemId: event.catalogItemId });
}

/** The outbox row of an event, but its item: a new id, no lesson as null, no properties as `{}`, queued now. */
function rowOf(event: Omit<OutboxEventInput, 'catalogItemId'>) {
  return {
    id: uuidv7(),
    type: event.type,
    userId: event.userId,
    lessonId: event.lessonId ?? null,
    occurTime: event.occurTime,
    properties: event.properties ?? {},
    createTime: new Date(),
  };
}

/**
 * The same event as one `insert ... select ... <tail>` for a statement of the
 * caller's to run as a step of its own WITH (no unit of work, no round trip of
 * its own): `tail` is the rest of the select (`from <step> where ...`), so the
 * row is written once for each row it yields, in the caller's statement and
 * transaction; `catalogItemIdSql` names the item over that tail
 * (`inserted.catalog_item_id`), as the statement itself finds it.
 */
export function outboxInsertWhere(
  tail: string,
  event: Omit<OutboxEventInput, 'catalogItemId'> & { readonly catalogItemIdSql: string },
): { readonly sql: string; readonly params: unknown[] } {
  const row = rowOf(event);
  return {
    sql: `insert into outbox_events (id, type, user_id, catalog_item_id, lesson_id, occur_time, properties, create_time)
         select ?::uuid, ?::text, ?::uuid, ${event.catalogItemIdSql}, ?::uuid, ?::timestamptz, ?::jsonb, ?::timestamptz ${tail}`,
    params: [row.id, row.type, row.userId, row.lessonId, row.occurTime, JSON.stringify(row.properties), row.createTime],
  };
}
