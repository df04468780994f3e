import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { ObjectId } from '@mikro-orm/mongodb';

/**
 * Engagement of one catalog item on one UTC day (collection
 * `analytics_daily_rollups`), materialized from raw events by the rollup
 * job. Every recompute sets the whole day's figures ($set, never $inc), so
 * reruns are idempotent. Kept when the raw events expire.
 */
export const DailyRollupSchema = defineEntity({
  name: 'DailyRollup',
  collection: 'analytics_daily_rollups',
  properties: {
    _id: p.type(ObjectId).primary(),
    id: p.string().serializedPrimaryKey(),
    catalogItemId: p.string(),
    /** Midnight UTC starting the day. */
    day: p.datetime(),
    /** Distinct users with any event in the item that day. */
    activeLearners: p.integer(),
    lessonsCompleted: p.integer(),
    postsWritten: p.integer(),
    lessonViews: p.integer(),
    enrollments: p.integer(),
    computeTime: p.datetime(),
  },
  uniques: [
    // The business key. $merge on real MongoDB requires a unique index on its `on` fields;
    // correctness does not rest on it (the fallback upserts on the same key), since the
    // in-process stand-in does not enforce unique indexes.
    // GetCourseEngagement reads { catalogItemId, day range } sorted by day through it.
    { name: 'analytics_daily_rollups_item_day_unique', properties: ['catalogItemId', 'day'] },
  ],
});

export type DailyRollup = InferEntity<typeof DailyRollupSchema>;
