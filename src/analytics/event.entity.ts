import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { ObjectId } from '@mikro-orm/mongodb';

export const EVENT_TYPES = ['lesson_viewed', 'lesson_completed', 'enrolled', 'post_created', 'course_completed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One raw analytics event (collection `analytics_events`), denormalized at
 * ingest (item title, user role) so that analytics never join back to
 * PostgreSQL. Written only by unordered bulk inserts, never through the unit
 * of work; expires at `expireAt` (TTL index), rollups stay.
 */
export const AnalyticsEventSchema = defineEntity({
  name: 'AnalyticsEvent',
  collection: 'analytics_events',
  properties: {
    _id: p.type(ObjectId).primary(),
    id: p.string().serializedPrimaryKey(),
    type: p.enum(EVENT_TYPES),
    userId: p.string(),
    catalogItemId: p.string(),
    lessonId: p.string().nullable(),
    occurTime: p.datetime(),
    /** When this service received it: the rollup job recomputes the days of events received since its last run. */
    receiveTime: p.datetime(),
    /** occurTime + ANALYTICS_EVENT_TTL_DAYS at ingest; MongoDB's TTL monitor removes the event then. */
    expireAt: p.datetime(),
    properties: p.json<Record<string, unknown>>(),
    catalogItemTitle: p.string(),
    userRole: p.string(),
    /**
     * Set on events relayed from the outbox (the outbox row's id): a relay
     * repeated after a crash upserts on it, so the event is stored once.
     */
    eventId: p.string().nullable(),
  },
  indexes: [
    // Rollup of whole days: { occurTime range }.
    { name: 'analytics_events_occur_time_idx', properties: ['occurTime'] },
    // Refresh of one item's days: { catalogItemId, occurTime range }.
    { name: 'analytics_events_catalog_item_occur_time_idx', properties: ['catalogItemId', 'occurTime'] },
    // Days touched since the last rollup run: { receiveTime range }.
    { name: 'analytics_events_receive_time_idx', properties: ['receiveTime'] },
    // Retention (real MongoDB only; the in-process stand-in never expires anything).
    // Relay upserts on the outbox id; unique where set (real MongoDB; the stand-in relies on the upsert).
    // A sharded collection's unique index starts with the shard key (src/db/sharding-plan.ts); an
    // outbox event's item and time never change, so the id is as unique under them as alone.
    {
      name: 'analytics_events_item_time_event_id_unique',
      properties: ['catalogItemId', 'occurTime', 'eventId'],
      options: { unique: true, partialFilterExpression: { eventId: { $type: 'string' } } },
    },
    { name: 'analytics_events_expire_at_ttl', properties: ['expireAt'], options: { expireAfterSeconds: 0 } },
  ],
});

export type AnalyticsEvent = InferEntity<typeof AnalyticsEventSchema>;
