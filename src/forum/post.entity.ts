import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { ObjectId } from '@mikro-orm/mongodb';

/** The shape new posts are written in; see post-document.ts for older ones. */
export const POST_SCHEMA_VERSION = 2;

/**
 * A message in a thread (collection `forum_posts`), in the current document
 * shape. Documents are read through `upgradePostDocument` so older shapes
 * arrive here upgraded; `schemaVersion` still says which shape is stored.
 */
export const PostSchema = defineEntity({
  name: 'Post',
  collection: 'forum_posts',
  properties: {
    _id: p.type(ObjectId).primary(),
    id: p.string().serializedPrimaryKey(),
    /** Hex id of the thread. */
    threadId: p.string(),
    /** UUID of the thread's catalog item, so moderation needs no thread read. */
    catalogItemId: p.string(),
    authorId: p.string(),
    /** Hex id of the post of the same thread this one answers. */
    parentPostId: p.string().nullable(),
    body: p.string(),
    /** Free-form client data (attachments, code language...). */
    attributes: p.json<Record<string, unknown>>(),
    schemaVersion: p.integer(),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    /** Soft delete: the document stays, readers see a tombstone. */
    deleteTime: p.datetime().nullable(),
    deletedBy: p.string().nullable(),
    /**
     * The forum's outbox: set in the insert that writes the post (so the
     * fact and its pending post_created event are one atomic document
     * write), cleared by the OutboxRelay once the event is in analytics.
     */
    analyticsPendingSince: p.datetime().nullable(),
    version: p.integer().version(),
  },
  indexes: [
    // ListPosts: { threadId } sorted by (createTime, _id) ascending.
    { name: 'forum_posts_thread_create_time_idx', properties: ['threadId', 'createTime', '_id'] },
    // The shard key (src/db/sharding-plan.ts): MongoDB shards only on a key an index backs.
    { name: 'forum_posts_thread_hashed_idx', properties: ['threadId'], type: 'hashed' },
    // Outbox relay: posts whose event is pending, oldest first (sparse: most posts have none).
    { name: 'forum_posts_analytics_pending_idx', properties: ['analyticsPendingSince'], options: { sparse: true } },
  ],
});

export type Post = InferEntity<typeof PostSchema>;
