import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { rawQuery } from '../db/raw-query.js';
import type { TimeIdPosition } from '../pagination/time-id-keyset.js';
import { type Payment, PaymentSchema } from './payment.entity.js';

export class PaymentRepository extends EntityRepository<Payment> {
  /** The Payment repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): PaymentRepository {
    return new PaymentRepository(em as SqlEntityManager, PaymentSchema);
  }

  async findById(id: string): Promise<Payment | null> {
    return this.findOne({ id });
  }

  /**
   * The enrollment a payment belongs to, read without loading the payment:
   * writers lock the enrollment before its payment, always in that order, so
   * that a cancellation and a refund of the same enrollment cannot deadlock.
   */
  async enrollmentIdOf(id: string): Promise<string | undefined> {
    const [row] = await rawQuery<{ enrollment_id: string }>(this.getEntityManager(), 'select enrollment_id from payments where id = ?', [
      id,
    ]);
    return row?.enrollment_id;
  }

  /** The paying user of a payment; undefined when there is no such payment. */
  async payerOf(id: string): Promise<string | undefined> {
    const [row] = await rawQuery<{ user_id: string }>(this.getEntityManager(), 'select user_id from payments where id = ?', [id]);
    return row?.user_id;
  }

  /** Reads and row-locks (FOR UPDATE) a payment until the transaction ends. */
  async lockById(id: string): Promise<Payment | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** The succeeded (refundable) payment of an enrollment, row-locked; null when there is none. */
  async lockSucceededOf(userId: string, enrollmentId: string): Promise<Payment | null> {
    return this.findOne(
      { user: userId, enrollment: [userId, enrollmentId], status: 'succeeded' },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
  }

  /** One keyset page of a user's payments, newest first; `limit` rows at most. */
  async page(userId: string, after: TimeIdPosition | undefined, limit: number): Promise<Payment[]> {
    const qb = this.createQueryBuilder('p').select('*').where({ user: userId });
    if (after) qb.andWhere('(p.create_time, p.id) < (?, ?)', [after.time, after.id]);
    return qb.orderBy({ createTime: 'desc', id: 'desc' }).limit(limit).getResultList();
  }
}
