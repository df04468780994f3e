import type { EntityManager } from '@mikro-orm/core';
import { rawQuery } from '../db/raw-query.js';

/** What authorization needs to know of a catalog item. */
export interface ItemAccess {
  /** The teaching user's id; null for none. */
  readonly instructorId: string | null;
}

/** Who an enrollment belongs to, and who teaches its item. */
export interface EnrollmentAccess {
  readonly userId: string;
  readonly instructorId: string | null;
}

/**
 * The owners of resources, for the rules whose request names a resource
 * rather than its owner. Each is one primary-key lookup (with at most one
 * join on a primary key). Every method answers undefined for an id that is
 * not a UUID or names nothing: the rules let such calls through to the
 * service, which answers INVALID_ARGUMENT or NOT_FOUND and changes nothing.
 */
export interface AccessLookups {
  catalogItem(id: string): Promise<ItemAccess | undefined>;
  /** The catalog item a lesson belongs to. */
  lessonItem(lessonId: string): Promise<ItemAccess | undefined>;
  enrollment(id: string): Promise<EnrollmentAccess | undefined>;
  /** The paying user of a payment. */
  paymentOwner(id: string): Promise<string | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ItemRow {
  instructor_id: string | null;
}

/** AccessLookups over PostgreSQL; `em` is the request-scoped EntityManager. */
export function postgresAccessLookups(em: EntityManager): AccessLookups {
  const one = async <Row>(id: string, sql: string): Promise<Row | undefined> => {
    if (!UUID.test(id)) return undefined;
    const [row] = await rawQuery<Row>(em, sql, [id]);
    return row;
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
      const row = await one<{ user_id: string; instructor_id: string | null }>(
        id,
        'select e.user_id, c.instructor_id from enrollments e join catalog_items c on c.id = e.catalog_item_id where e.id = ?',
      );
      return row && { userId: row.user_id, instructorId: row.instructor_id };
    },
    paymentOwner: async (id) => (await one<{ user_id: string }>(id, 'select user_id from payments where id = ?'))?.user_id,
  };
}
