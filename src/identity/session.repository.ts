import type { EntityManager } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { type Session, SessionSchema } from './session.entity.js';
import type { UserRole } from './user.entity.js';

/** A session with what authentication needs of its user. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly role: UserRole;
  readonly expireTime: Date;
  readonly absoluteExpireTime: Date;
  readonly revokeTime: Date | null;
  /** Set when the user was deleted: the session no longer works. */
  readonly userDeleteTime: Date | null;
}

/** The cache key material and lifetime of a session that was just revoked. */
export interface RevokedSession {
  readonly id: string;
  readonly tokenHash: string;
  readonly expireTime: Date;
}

export class SessionRepository extends EntityRepository<Session> {
  /** The Session repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): SessionRepository {
    return new SessionRepository(em as SqlEntityManager, SessionSchema);
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const [row] = await this.em.getConnection().execute<Row[]>(
      `select s.id, s.user_id, u.role, s.expire_time, s.absolute_expire_time, s.revoke_time, u.delete_time
       from sessions s join users u on u.id = s.user_id where s.token_hash = ?`,
      [tokenHash],
    );
    return (
      row && {
        id: row.id,
        userId: row.user_id,
        role: row.role,
        expireTime: dateOf(row.expire_time),
        absoluteExpireTime: dateOf(row.absolute_expire_time),
        revokeTime: row.revoke_time === null ? null : dateOf(row.revoke_time),
        userDeleteTime: row.delete_time === null ? null : dateOf(row.delete_time),
      }
    );
  }

  /** Moves the idle expiry forward (never back) unless the session was revoked. */
  async extend(id: string, expireTime: Date): Promise<void> {
    await this.em
      .getConnection()
      .execute(
        'update sessions set expire_time = ? where id = ? and revoke_time is null and expire_time < ?',
        [expireTime, id, expireTime],
        'run',
      );
  }

  /** Revokes one session; empty when it was already revoked. */
  async revoke(id: string, at: Date): Promise<RevokedSession[]> {
    return this.revokeWhere('id = ?', [id], at);
  }

  /** Revokes every open session of a user. */
  async revokeAllOfUser(userId: string, at: Date): Promise<RevokedSession[]> {
    return this.revokeWhere('user_id = ?', [userId], at);
  }

  /** Sessions revoked at or after `since` that could still be in a cache. */
  async revokedSince(since: Date, now: Date): Promise<RevokedSession[]> {
    const rows = await this.em
      .getConnection()
      .execute<{ id: string; token_hash: string; expire_time: Date | string }[]>(
        'select id, token_hash, expire_time from sessions where revoke_time >= ? and expire_time > ?',
        [since, now],
      );
    return rows.map((r) => ({ id: r.id, tokenHash: r.token_hash, expireTime: dateOf(r.expire_time) }));
  }

  private async revokeWhere(condition: string, params: unknown[], at: Date): Promise<RevokedSession[]> {
    const rows = await this.em
      .getConnection()
      .execute<{ id: string; token_hash: string; expire_time: Date | string }[]>(
        `update sessions set revoke_time = ? where ${condition} and revoke_time is null returning id, token_hash, expire_time`,
        [at, ...params],
        'all',
        this.em.getTransactionContext(),
      );
    return rows.map((r) => ({ id: r.id, tokenHash: r.token_hash, expireTime: dateOf(r.expire_time) }));
  }
}

// Raw rows: the driver may hand timestamps over as strings.
interface Row {
  id: string;
  user_id: string;
  role: UserRole;
  expire_time: Date | string;
  absolute_expire_time: Date | string;
  revoke_time: Date | string | null;
  delete_time: Date | string | null;
}

function dateOf(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}
