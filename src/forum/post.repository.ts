import type { EntityManager } from '@mikro-orm/mongodb';
import { type Collection, type Document, type Filter, ObjectId } from 'mongodb';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { POST_SCHEMA_VERSION, type Post, PostSchema } from './post.entity.js';
import { LEGACY_POST_FIELDS, upgradePostDocument } from './post-document.js';

/** Position after the last post of a page: (createTime ms, hex id). */
export type PostCursor = readonly [number, string];

/**
 * The queries of `forum_posts`. Every read goes through
 * `upgradePostDocument`; every update is one conditional atomic write on the
 * document's version, so a stale etag changes nothing.
 */
export class PostRepository {
  constructor(private readonly em: EntityManager) {}

  private get collection(): Collection<Document> {
    return this.em.getCollection<Document>(PostSchema.meta.collection);
  }

  /** The id of the catalog item whose forum holds the post; undefined when there is no such post. */
  async catalogItemIdOf(id: string): Promise<string | undefined> {
    const doc = await this.collection.findOne({ _id: new ObjectId(id) }, { projection: { catalogItemId: 1 }, ...mongoTimeLimit() });
    return typeof doc?.catalogItemId === 'string' ? doc.catalogItemId : undefined;
  }

  async findById(id: string): Promise<Post | null> {
    const doc = await this.collection.findOne({ _id: new ObjectId(id) }, mongoTimeLimit());
    return doc ? postFromDocument(doc) : null;
  }

  /** Posts of a thread, oldest first, strictly after `after`. */
  async page(threadId: string, after: PostCursor | undefined, limit: number): Promise<Post[]> {
    const filter: Filter<Document> = { threadId };
    if (after) {
      const at = new Date(after[0]);
      filter.$or = [{ createTime: { $gt: at } }, { createTime: at, _id: { $gt: new ObjectId(after[1]) } }];
    }
    const docs = await this.collection.find(filter, mongoTimeLimit()).sort({ createTime: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(postFromDocument);
  }

  /**
   * Writes body and attributes if the post is still at `version` and not
   * deleted, in the current document shape; null when it is not.
   */
  async update(post: Post, changes: { body: string; attributes: Record<string, unknown> }, at: Date): Promise<Post | null> {
    const unset = Object.fromEntries(LEGACY_POST_FIELDS.map((f) => [f, '']));
    const doc = await this.collection.findOneAndUpdate(
      { _id: post._id, version: post.version, deleteTime: null },
      {
        $set: {
          body: changes.body,
          attributes: changes.attributes,
          parentPostId: post.parentPostId,
          deletedBy: null,
          schemaVersion: POST_SCHEMA_VERSION,
          updateTime: at,
        },
        $unset: unset,
        $inc: { version: 1 },
      },
      { returnDocument: 'after', ...mongoTimeLimit() },
    );
    return doc ? postFromDocument(doc) : null;
  }

  /** Marks the post deleted if it is still at `version` and not deleted; null when it is not. */
  async softDelete(post: Post, actorId: string, at: Date): Promise<Post | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: post._id, version: post.version, deleteTime: null },
      { $set: { deleteTime: at, deletedBy: actorId, updateTime: at }, $inc: { version: 1 } },
      { returnDocument: 'after', ...mongoTimeLimit() },
    );
    return doc ? postFromDocument(doc) : null;
  }
}

function postFromDocument(stored: Document): Post {
  const doc = upgradePostDocument(stored);
  return {
    _id: doc._id as ObjectId,
    id: (doc._id as ObjectId).toHexString(),
    threadId: doc.threadId as string,
    catalogItemId: doc.catalogItemId as string,
    authorId: doc.authorId as string,
    parentPostId: (doc.parentPostId as string | null | undefined) ?? null,
    body: doc.body as string,
    attributes: (doc.attributes as Record<string, unknown> | undefined) ?? {},
    schemaVersion: doc.schemaVersion as number,
    createTime: doc.createTime as Date,
    updateTime: doc.updateTime as Date,
    deleteTime: (doc.deleteTime as Date | null | undefined) ?? null,
    deletedBy: (doc.deletedBy as string | null | undefined) ?? null,
    version: doc.version as number,
  } as Post;
}
