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
  tx.create(OutboxEventSchema, {
    id: uuidv7(),
    type: event.type,
    userId: event.userId,
    catalogItemId: event.catalogItemId,
    lessonId: event.lessonId ?? null,
    occurTime: event.occurTime,
    properties: event.properties ?? {},
    createTime: new Date(),
  });
}
