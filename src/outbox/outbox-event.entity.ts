import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * An analytics event that follows a committed PostgreSQL fact, written in
 * the fact's own transaction (so it exists exactly when the fact does) and
 * deleted once the OutboxRelay has written it to MongoDB. Its id is the
 * event's id there: a relay that is repeated after a crash writes it once.
 */
export const OutboxEventSchema = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  properties: {
    /** The distribution column: an event lives on the shard of the fact it follows. */
    userId: p.uuid().primary(),
    id: p.uuid().primary(),
    /** An analytics EventType, e.g. `enrolled`. */
    type: p.text(),
    catalogItemId: p.uuid(),
    lessonId: p.uuid().nullable(),
    occurTime: p.datetime(),
    properties: p.json<Record<string, unknown>>(),
    createTime: p.datetime().index('outbox_events_create_time_idx'),
  },
  // Deleted by id alone once relayed: one probe per shard on Citus.
  indexes: [{ name: 'outbox_events_id_idx', properties: ['id'] }],
});

export type OutboxEvent = InferEntity<typeof OutboxEventSchema>;
