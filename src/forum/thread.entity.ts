import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { ObjectId } from '@mikro-orm/mongodb';

/**
 * A discussion in the forum of one catalog item (collection `forum_threads`).
 * `postCount` and `lastActivityAt` are kept by single-document atomic
 * updates after each post write, never by a read-modify-write.
 */
export const ThreadSchema = defineEntity({
  name: 'Thread',
  collection: 'forum_threads',
  properties: {
    _id: p.type(ObjectId).primary(),
    id: p.string().serializedPrimaryKey(),
    /** UUID of the catalog item (PostgreSQL). */
    catalogItemId: p.string(),
    /** UUID of the user who started it. */
    authorId: p.string(),
    title: p.string(),
    /** Hex id of the first post, written with the thread. */
    openingPostId: p.string(),
    /** Posts not deleted, the opening post included. */
    postCount: p.integer(),
    lastActivityAt: p.datetime(),
    createTime: p.datetime(),
  },
  indexes: [
    // ListThreads: { catalogItemId } sorted by (lastActivityAt, _id) descending.
    { name: 'forum_threads_catalog_item_activity_idx', properties: ['catalogItemId', 'lastActivityAt', '_id'] },
  ],
});

export type Thread = InferEntity<typeof ThreadSchema>;
