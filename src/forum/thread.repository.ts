import type { EntityManager } from '@mikro-orm/mongodb';
import { type Collection, type Document, type Filter, ObjectId } from 'mongodb';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { type Thread, ThreadSchema } from './thread.entity.js';

/** Position after the last thread of a page: (lastActivityAt ms, hex id). */
export type ThreadCursor = readonly [number, string];

/**
 * The queries of `forum_threads`. Each filter + sort here has its index in
 * thread.entity.ts (test/forum/indexes.test.ts holds them to it).
 */
export class ThreadRepository {
  constructor(private readonly em: EntityManager) {}

  private get collection(): Collection<Document> {
    return this.em.getCollection<Document>(ThreadSchema.meta.collection);
  }

  /** The id of the catalog item whose forum holds the thread; undefined when there is no such thread. */
  async catalogItemIdOf(id: string): Promise<string | undefined> {
    const doc = await this.collection.findOne({ _id: new ObjectId(id) }, { projection: { catalogItemId: 1 }, ...mongoTimeLimit() });
    return typeof doc?.catalogItemId === 'string' ? doc.catalogItemId : undefined;
  }

  async findById(id: string): Promise<Thread | null> {
    const doc = await this.collection.findOne({ _id: new ObjectId(id) }, mongoTimeLimit());
    return doc ? threadFromDocument(doc) : null;
  }

  /** Threads of an item, most recent activity first, strictly after `after`. */
  async page(catalogItemId: string, after: ThreadCursor | undefined, limit: number): Promise<Thread[]> {
    const filter: Filter<Document> = { catalogItemId };
    if (after) {
      const at = new Date(after[0]);
      filter.$or = [{ lastActivityAt: { $lt: at } }, { lastActivityAt: at, _id: { $lt: new ObjectId(after[1]) } }];
    }
    const docs = await this.collection.find(filter, mongoTimeLimit()).sort({ lastActivityAt: -1, _id: -1 }).limit(limit).toArray();
    return docs.map(threadFromDocument);
  }

  /**
   * A post was written at `at`: one atomic update of the thread document, so
   * concurrent posts never lose a count and activity never moves backwards.
   */
  async postAdded(threadId: string, at: Date): Promise<void> {
    await this.collection.updateOne(
      { _id: new ObjectId(threadId) },
      { $inc: { postCount: 1 }, $max: { lastActivityAt: at } },
      mongoTimeLimit(),
    );
  }

  /** A post of the thread was deleted (counted once per post by the caller). */
  async postRemoved(threadId: string): Promise<void> {
    await this.collection.updateOne({ _id: new ObjectId(threadId) }, { $inc: { postCount: -1 } }, mongoTimeLimit());
  }
}

function threadFromDocument(doc: Document): Thread {
  const id = (doc._id as ObjectId).toHexString();
  return {
    _id: doc._id as ObjectId,
    id,
    catalogItemId: doc.catalogItemId as string,
    authorId: doc.authorId as string,
    title: doc.title as string,
    openingPostId: doc.openingPostId as string,
    postCount: doc.postCount as number,
    lastActivityAt: doc.lastActivityAt as Date,
    createTime: doc.createTime as Date,
  } as Thread;
}
