import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as MongoEntityManager } from '@mikro-orm/mongodb';
import { type Document, ObjectId } from 'mongodb';
import type { CatalogItemVisibility } from '../catalog/catalog-item-visibility.js';
import { mongoTimeLimit } from '../db/mongo-time-limit.js';
import { rawQuery } from '../db/raw-query.js';
import { PostSchema } from '../forum/post.entity.js';
import { ThreadSchema } from '../forum/thread.entity.js';

/** What authorization needs to know of a catalog item. */
export interface ItemAccess {
  /** The teaching user's id; null for none. */
  readonly instructorId: string | null;
}

/** Who an enrollment belongs to, and who teaches its item. */
export interface EnrollmentAccess {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly instructorId: string | null;
}

/**
 * The owners of resources, for the rules whose request names a resource
 * rather than its owner, and the catalog item a resource hangs off. Each is
 * one primary-key lookup (with at most one join on a primary key). Every
 * method answers undefined for an id that is not well formed or names
 * nothing: the rules let such calls through to the service, which answers
 * INVALID_ARGUMENT or NOT_FOUND and changes nothing.
 */
export interface AccessLookups {
  catalogItem(id: string): Promise<ItemAccess | undefined>;
  /** The catalog item a lesson belongs to. */
  lessonItem(lessonId: string): Promise<ItemAccess | undefined>;
  enrollment(id: string): Promise<EnrollmentAccess | undefined>;
  /** The paying user of a payment. */
  paymentOwner(id: string): Promise<string | undefined>;
  /** What the visibility rule needs of an item, read as GetCatalogItem reads it (through the item cache). */
  itemVisibility(id: string): Promise<CatalogItemVisibility | undefined>;
  /** The id of the catalog item a lesson belongs to. */
  lessonItemId(lessonId: string): Promise<string | undefined>;
  /** The id of the catalog item whose forum holds a thread. */
  threadItemId(threadId: string): Promise<string | undefined>;
  /** The id of the catalog item whose forum holds a post. */
  postItemId(postId: string): Promise<string | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** True for the ids our resources have: UUIDs (PostgreSQL rows) and ObjectIds (MongoDB documents). */
export function isResourceId(id: string): boolean {
  return UUID.test(id) || OBJECT_ID.test(id);
}

interface ItemRow {
  instructor_id: string | null;
}

/** Where the lookups read. */
export interface AccessSources {
  /** The request-scoped PostgreSQL EntityManager. */
  readonly pg: EntityManager;
  /** The request-scoped MongoDB EntityManager (forum documents). */
  readonly mongo: MongoEntityManager;
  /** A catalog item as GetCatalogItem reads it (the item cache); undefined when there is none. */
  readonly item: (id: string) => Promise<CatalogItemVisibility | undefined>;
}

/** AccessLookups over PostgreSQL, MongoDB and the catalog item cache. */
export function storeAccessLookups({ pg: em, mongo, item: readItem }: AccessSources): AccessLookups {
  const one = async <Row>(id: string, sql: string): Promise<Row | undefined> => {
    if (!UUID.test(id)) return undefined;
    const [row] = await rawQuery<Row>(em, sql, [id]);
    return row;
  };
  const itemOfDocument = async (collection: string, id: string): Promise<string | undefined> => {
    if (!OBJECT_ID.test(id)) return undefined;
    const doc = await mongo
      .getCollection<Document>(collection)
      .findOne({ _id: new ObjectId(id) }, { projection: { catalogItemId: 1 }, ...mongoTimeLimit() });
    return typeof doc?.catalogItemId === 'string' ? doc.catalogItemId : undefined;
  };
  const item = (row: ItemRow | undefined): ItemAccess | undefined => row && { instructorId: row.instructor_id };
  return {
    catalogItem: async (id) => item(await one<ItemRow>(id, 'select instructor_id from catalog_items where id = ?')),
    lessonItem: async (lessonId) =>
      item(
        await one<ItemRow>(
          lessonId,
          'select c.instructor_id from lessons l join catalog_items c on c.id = l.catalog_item_id where l.id = ?',
        ),
      ),
    enrollment: async (id) => {
      const row = await one<{ user_id: string; catalog_item_id: string; instructor_id: string | null }>(
        id,
        'select e.user_id, c.instructor_id, e.catalog_item_id from enrollments e join catalog_items c on c.id = e.catalog_item_id where e.id = ?',
      );
      return row && { userId: row.user_id, catalogItemId: row.catalog_item_id, instructorId: row.instructor_id };
    },
    paymentOwner: async (id) => (await one<{ user_id: string }>(id, 'select user_id from payments where id = ?'))?.user_id,
    itemVisibility: async (id) => (UUID.test(id) ? readItem(id) : undefined),
    lessonItemId: async (lessonId) =>
      (await one<{ catalog_item_id: string }>(lessonId, 'select catalog_item_id from lessons where id = ?'))?.catalog_item_id,
    threadItemId: (threadId) => itemOfDocument(ThreadSchema.meta.collection, threadId),
    postItemId: (postId) => itemOfDocument(PostSchema.meta.collection, postId),
  };
}
