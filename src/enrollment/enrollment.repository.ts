import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { rawQuery } from '../db/raw-query.js';
import type { TimeIdPosition } from '../pagination/time-id-keyset.js';
import { type Enrollment, EnrollmentSchema, type EnrollmentStatus } from './enrollment.entity.js';

/** What Enroll must know before it writes, read in one statement. */
export interface EnrollContext {
  /** Whether the statement's claim step (see claimStep) claimed the request id. */
  readonly claimed: boolean;
  readonly userExists: boolean;
  /** Undefined when no such catalog item. */
  readonly item: { readonly published: boolean; readonly priceAmount: bigint; readonly currency: string } | undefined;
  /** Status of the user's enrollment in the item, if there is one. */
  readonly existing: EnrollmentStatus | undefined;
}

/** Who an enrollment belongs to, and who teaches its item (null for nobody). */
export interface EnrollmentParties {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly instructorId: string | null;
}

export type EnrollmentOwner = { readonly userId: string } | { readonly catalogItemId: string };

export class EnrollmentRepository extends EntityRepository<Enrollment> {
  /** The Enrollment repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): EnrollmentRepository {
    return new EnrollmentRepository(em as SqlEntityManager, EnrollmentSchema);
  }

  async findById(id: string): Promise<Enrollment | null> {
    return this.findOne({ id });
  }

  /** Reads and row-locks (FOR UPDATE) an enrollment until the transaction ends. */
  async lockById(id: string): Promise<Enrollment | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /**
   * Enroll's checks in one statement, with the claim of its request id as
   * the statement's first step (`claim`, see claimStep): whether the user
   * exists, the item, its publication and price, and any enrollment of the
   * user in it already.
   */
  async enrollContext(
    userId: string,
    catalogItemId: string,
    claim: { readonly sql: string; readonly params: readonly unknown[] },
  ): Promise<EnrollContext> {
    const [row] = await rawQuery<{
      claimed: boolean;
      user_exists: boolean;
      item_id: string | null;
      published: boolean | null;
      price_amount: string | number | null;
      currency: string | null;
      existing: EnrollmentStatus | null;
    }>(
      this.getEntityManager(),
      `with claimed as (
         ${claim.sql}
       )
       select exists(select 1 from claimed) as claimed,
              exists(select 1 from users where id = ? and delete_time is null) as user_exists,
              ci.id as item_id, ci.published, ci.price_amount, ci.currency,
              (select status from enrollments where user_id = ? and catalog_item_id = ?) as existing
         from (select 1) as one left join catalog_items ci on ci.id = ?`,
      [...claim.params, userId, userId, catalogItemId, catalogItemId],
    );
    if (!row) throw new Error('enroll context query returned no row');
    return {
      claimed: row.claimed,
      userExists: row.user_exists,
      item:
        row.item_id === null
          ? undefined
          : { published: row.published === true, priceAmount: BigInt(row.price_amount ?? 0), currency: row.currency ?? '' },
      existing: row.existing ?? undefined,
    };
  }

  /**
   * Who an enrollment belongs to, its item and who teaches the item, in one
   * join on primary keys; undefined when there is no such enrollment. The
   * statement reads the catalog's table too; the enrollment is its main
   * table, so it lives here (an exception listed in
   * test/architecture/table-ownership.test.ts).
   */
  async partiesOf(id: string): Promise<EnrollmentParties | undefined> {
    const [row] = await rawQuery<{ user_id: string; catalog_item_id: string; instructor_id: string | null }>(
      this.getEntityManager(),
      'select e.user_id, c.instructor_id, e.catalog_item_id from enrollments e join catalog_items c on c.id = e.catalog_item_id where e.id = ?',
      [id],
    );
    return row && { userId: row.user_id, catalogItemId: row.catalog_item_id, instructorId: row.instructor_id };
  }

  /** Whether the user has an active or completed enrollment in the item. */
  async isLearner(userId: string, catalogItemId: string): Promise<boolean> {
    const rows = await rawQuery<{ one: number }>(
      this.getEntityManager(),
      "select 1 as one from enrollments where user_id = ? and catalog_item_id = ? and status in ('active', 'completed')",
      [userId, catalogItemId],
    );
    return rows.length > 0;
  }

  /** ACTIVE -> COMPLETED (by its full key: one shard); false when it was not active (a concurrent call completed it first). */
  async markCompleted(userId: string, id: string, at: Date): Promise<boolean> {
    const rows = await rawQuery(
      this.getEntityManager(),
      `update enrollments set status = 'completed', completed_at = ?, version = version + 1
        where user_id = ? and id = ? and status = 'active' returning id`,
      [at, userId, id],
    );
    return rows.length > 0;
  }

  /** An enrollment's status; undefined when there is none. */
  async statusOf(userId: string, id: string): Promise<EnrollmentStatus | undefined> {
    const [row] = await rawQuery<{ status: EnrollmentStatus }>(
      this.getEntityManager(),
      'select status from enrollments where user_id = ? and id = ?',
      [userId, id],
    );
    return row?.status;
  }

  /** One keyset page of a user's or an item's enrollments, newest first; `limit` rows at most. */
  async page(owner: EnrollmentOwner, after: TimeIdPosition | undefined, limit: number): Promise<Enrollment[]> {
    const qb = this.createQueryBuilder('e')
      .select('*')
      .where('userId' in owner ? { user: owner.userId } : { catalogItem: owner.catalogItemId });
    if (after) qb.andWhere('(e.enrolled_at, e.id) < (?, ?)', [after.time, after.id]);
    return qb.orderBy({ enrolledAt: 'desc', id: 'desc' }).limit(limit).getResultList();
  }
}
