import type { EntityManager } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { fieldCryptoOf } from '../crypto/field-crypto.js';
import { findByPrimaryKey, readModelByPrimaryKey } from '../db/point-read.js';
import { type User, type UserData, type UserRole, UserSchema, userData } from './user.entity.js';

/** Where a ListUsers page starts: after the user with this create_time and id. */
export interface UserPosition {
  readonly createTime: Date;
  readonly id: string;
}

const LIVE = { sql: '"delete_time" is null', where: { deleteTime: null } };

/**
 * The queries of users. Deleted users (delete_time set) keep their row for
 * history but are invisible here: every read filters them out, except
 * rolesOf, which serves that history. `read*` return plain profiles
 * (UserData, never the password hash), for answers and the cache; `find*`
 * return managed entities, for writes and sign-in.
 */
export class UserRepository extends EntityRepository<User> {
  /** The User repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): UserRepository {
    return new UserRepository(em as SqlEntityManager, UserSchema);
  }

  /**
   * Point read by primary key; null when no such user, or it was deleted.
   * One fixed statement: the ORM building it anew took a fifth of the call.
   */
  async readById(id: string): Promise<UserData | null> {
    const user = await readModelByPrimaryKey<User, User>(this.getEntityManager(), this.entityName, id, LIVE);
    return user && userData(user);
  }

  /** The live users among `ids` (any order, each at most once). */
  async readByIds(ids: readonly string[]): Promise<UserData[]> {
    if (ids.length === 0) return [];
    return (await this.find({ id: { $in: [...new Set(ids)] }, deleteTime: null })).map(userData);
  }

  /** The live user as a managed entity of the transaction (one fixed select unless the unit of work holds it). */
  async findById(id: string): Promise<User | null> {
    return findByPrimaryKey(this.getEntityManager(), this.entityName, id, LIVE);
  }

  /**
   * The users.email_key of `email`: its blind index (HMAC of the trimmed,
   * lower-cased email under BLIND_INDEX_KEY). Emails differing only in case
   * or surrounding space get the same key.
   */
  emailKeyOf(email: string): string {
    return fieldCryptoOf(this.em.config).blindIndex.ofEmail(email);
  }

  /** The live user whose email matches case-insensitively, if any. */
  async findByEmail(email: string): Promise<User | null> {
    return this.findOne({ emailKey: this.emailKeyOf(email), deleteTime: null });
  }

  /**
   * Up to `limit` live users, newest first (create_time desc, id desc),
   * strictly after `after`. The row comparison matches the
   * (role?, create_time, id) indexes, so a page is one index range scan.
   */
  async listNewestFirst(query: { role: UserRole | undefined; after: UserPosition | undefined; limit: number }): Promise<User[]> {
    const qb = this.createQueryBuilder('u').where({ deleteTime: null });
    if (query.role !== undefined) qb.andWhere({ role: query.role });
    if (query.after) qb.andWhere('(u.create_time, u.id) < (?, ?)', [query.after.createTime, query.after.id]);
    return qb
      .orderBy([{ createTime: 'desc' }, { id: 'desc' }])
      .limit(query.limit)
      .getResultList();
  }

  /** A live (not deleted) user with its password hash loaded, for signing in. */
  async findCredentials(email: string): Promise<User | null> {
    return this.findOne({ emailKey: this.emailKeyOf(email), deleteTime: null }, { populate: ['passwordHash'] });
  }

  /** The role of each user among `ids` that has a row, deleted ones included (history keeps them), in one statement. */
  async rolesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.getEntityManager()
      .getConnection()
      .execute<{ id: string; value: string }[]>('select id, role as value from users where id in (?)', [[...ids]], 'all');
    return new Map(rows.map((row) => [row.id, row.value]));
  }
}
