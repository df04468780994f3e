import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { recordAudit } from '../audit/audit-log.js';
import type { UserPrincipal } from '../auth/principal.js';
import { tokenHash } from '../auth/token-hash.js';
import type { CacheStore } from '../cache/cache-store.js';
import { runInRequestScope } from '../db/request-scope.js';
import { transactional } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import { SessionSchema } from './session.entity.js';
import type { RevokedSession, SessionRecord } from './session.repository.js';
import { SessionRepository } from './session.repository.js';
import type { UserRole } from './user.entity.js';

export interface SessionSettings {
  /** A session unused this long expires. */
  readonly idleTtlMs: number;
  /** No session lives longer than this. */
  readonly maxTtlMs: number;
  /** How often every replica re-evicts recently revoked sessions from the cache. */
  readonly sweepEveryMs?: number;
  /** While the cache is suspect, how often to check whether it answers again. */
  readonly settleEveryMs?: number;
}

export interface OpenedSession {
  /** The bearer token: returned to the caller once, never stored. */
  readonly token: string;
  readonly id: string;
  readonly expireTime: Date;
}

/** What the cache holds per session: short keys, it is read on every call. */
interface Cached {
  /** session id */
  readonly s: string;
  /** user id */
  readonly u: string;
  /** role */
  readonly r: UserRole;
  /** idle expiry, epoch ms */
  readonly e: number;
  /** absolute expiry, epoch ms */
  readonly a: number;
}

/** Value of a cache key whose session was revoked; blocks re-filling it from a stale read. */
const REVOKED = 'revoked';
/** Tombstones wait for a replica where there is one: a failover must not bring a revoked session back. */
const REPLICATED = { replicated: true } as const;
/** base64url of 32 random bytes. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Allowance for clock skew between replicas when looking back for revocations. */
const SKEW_MS = 60_000;

/**
 * Sessions: PostgreSQL holds the truth (table `sessions`), the cache a
 * write-through copy under `session:<sha256 of token>` whose TTL is the time
 * the session has left. A call costs one cache GET; PostgreSQL is read only on
 * a miss, and written when the idle expiry slides (at most once a minute per
 * session, or a quarter of the idle TTL when that is shorter).
 *
 * Revocation writes PostgreSQL first, then overwrites the cache entry with a
 * `revoked` tombstone (cache fills use set-if-absent, refreshes
 * compare-and-set, so a racing reader cannot bring a revoked entry back).
 * When the cache cannot be reached (a revocation's tombstone may be missing,
 * or another replica's), this replica stops trusting it: sessions are read
 * from PostgreSQL until the cache answers again and every session revoked
 * since the trouble began has its tombstone written. Every replica also
 * re-writes the tombstones of recently revoked sessions every `sweepEveryMs`,
 * which bounds how long a replica that never saw the outage can trust an
 * entry that a failed revocation left behind. On a Redis Cluster the same
 * holds per slot: a master failing over is an outage of its keys' cache.
 */
export class SessionStore {
  private readonly refreshEveryMs: number;
  /** Set while the cache may hold entries of revoked sessions. */
  private suspectSince: number | undefined;
  /** Counts cache failures, so a settle that raced a new failure does not clear it. */
  private failures = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private lastSweep: number;

  constructor(
    /** The global PostgreSQL EntityManager (request-scoped inside a call). */
    private readonly em: EntityManager,
    private readonly cache: CacheStore,
    private readonly settings: SessionSettings,
    private readonly log: Logger,
  ) {
    this.refreshEveryMs = Math.min(60_000, settings.idleTtlMs / 4);
    this.lastSweep = Date.now();
    this.sweepTimer = setInterval(() => void this.sweep(), settings.sweepEveryMs ?? 30_000);
    this.sweepTimer.unref();
  }

  private get sessions() {
    return SessionRepository.of(this.em);
  }

  /** Creates a session for the user (with its audit entry) and caches it. */
  async open(user: { readonly id: string; readonly role: UserRole }): Promise<OpenedSession> {
    const token = randomBytes(32).toString('base64url');
    const hash = tokenHash(token);
    const now = Date.now();
    const id = uuidv7();
    const absolute = now + this.settings.maxTtlMs;
    const expire = Math.min(now + this.settings.idleTtlMs, absolute);
    await transactional(this.em, async (tx) => {
      tx.create(SessionSchema, {
        id,
        user: user.id,
        tokenHash: hash,
        createTime: new Date(now),
        expireTime: new Date(expire),
        absoluteExpireTime: new Date(absolute),
        revokeTime: null,
      });
      recordAudit(tx, { actor: user.id, action: 'session.created', entityId: id });
    });
    if (this.suspectSince === undefined) {
      const cached: Cached = { s: id, u: user.id, r: user.role, e: expire, a: absolute };
      await this.cacheWrite(() => this.cache.set(keyOf(hash), JSON.stringify(cached), expire - now));
    }
    return { token, id, expireTime: new Date(expire) };
  }

  /**
   * The user a session token belongs to; undefined when the token is not a
   * session token, or its session is unknown, expired or revoked.
   */
  async resolve(token: string): Promise<UserPrincipal | undefined> {
    if (!SESSION_TOKEN.test(token)) return undefined;
    const hash = tokenHash(token);
    const key = keyOf(hash);
    const now = Date.now();
    if (this.suspectSince === undefined) {
      let raw: string | null = null;
      try {
        raw = await this.cache.get(key);
      } catch (err) {
        this.suspect(err);
      }
      if (raw === REVOKED) return undefined;
      const cached = raw === null ? undefined : parse(raw);
      if (raw !== null && cached !== undefined) {
        if (Math.min(cached.e, cached.a) <= now) return undefined;
        if (this.needsRefresh(cached, now)) await this.refresh(key, raw, cached, now);
        return principalOf(cached);
      }
    }
    return this.resolveFromDatabase(hash, key, now);
  }

  /** Revokes one session at once: PostgreSQL first (audited as `actor`'s), then the cache. */
  async revoke(sessionId: string, actor: string): Promise<void> {
    await this.revokeAudited(actor, (tx, at) => SessionRepository.of(tx).revoke(sessionId, at));
  }

  /** Revokes every session of a user (on deletion, role or password change), audited as `actor`'s. */
  async revokeAllOfUser(userId: string, actor: string): Promise<number> {
    return this.revokeAudited(actor, (tx, at) => SessionRepository.of(tx).revokeAllOfUser(userId, at));
  }

  /** The revocation and an audit entry per revoked session in one transaction; then the cache's tombstones. */
  private async revokeAudited(actor: string, revoke: (tx: EntityManager, at: Date) => Promise<RevokedSession[]>): Promise<number> {
    const revoked = await transactional(this.em, async (tx) => {
      const sessions = await revoke(tx, new Date());
      for (const session of sessions) recordAudit(tx, { actor, action: 'session.revoked', entityId: session.id });
      return sessions;
    });
    await this.writeTombstones(revoked);
    return revoked.length;
  }

  /** True while sessions are read from PostgreSQL because the cache may be stale. */
  get cacheSuspect(): boolean {
    return this.suspectSince !== undefined;
  }

  close(): void {
    clearInterval(this.sweepTimer);
    if (this.settleTimer) clearInterval(this.settleTimer);
  }

  private async resolveFromDatabase(hash: string, key: string, now: number): Promise<UserPrincipal | undefined> {
    const record = await this.sessions.findByTokenHash(hash);
    if (record === undefined) return undefined;
    if (!isLive(record, now)) {
      // Saves the next lookup a database read; while the cache is suspect, settling writes it.
      if (record.revokeTime !== null && this.suspectSince === undefined) {
        await this.writeTombstones([{ id: record.id, tokenHash: hash, expireTime: record.expireTime }]);
      }
      return undefined;
    }
    let cached: Cached = {
      s: record.id,
      u: record.userId,
      r: record.role,
      e: record.expireTime.getTime(),
      a: record.absoluteExpireTime.getTime(),
    };
    if (this.needsRefresh(cached, now)) {
      const e = Math.min(now + this.settings.idleTtlMs, cached.a);
      await this.sessions.extend(cached.s, new Date(e));
      cached = { ...cached, e };
    }
    if (this.suspectSince === undefined) {
      const value = JSON.stringify(cached);
      await this.cacheWrite(() => this.cache.setIfAbsent(key, value, Math.min(cached.e, cached.a) - now));
    }
    return principalOf(cached);
  }

  /** Slides the idle expiry, in PostgreSQL and then in the cache. */
  private async refresh(key: string, raw: string, cached: Cached, now: number): Promise<void> {
    const e = Math.min(now + this.settings.idleTtlMs, cached.a);
    try {
      await this.sessions.extend(cached.s, new Date(e));
    } catch (err) {
      // The session is valid as cached; a failed slide only shortens its life.
      this.log.warn({ err }, 'session expiry could not be extended');
      return;
    }
    // Compare-and-set: a tombstone written since the read stays.
    await this.cacheWrite(() => this.cache.compareAndSet(key, raw, JSON.stringify({ ...cached, e }), e - now));
  }

  private needsRefresh(cached: Cached, now: number): boolean {
    return cached.e < cached.a && now - (cached.e - this.settings.idleTtlMs) >= this.refreshEveryMs;
  }

  private async writeTombstones(revoked: readonly RevokedSession[]): Promise<void> {
    const now = Date.now();
    for (const session of revoked) {
      const ttl = session.expireTime.getTime() - now;
      if (ttl > 0) await this.cacheWrite(() => this.cache.set(keyOf(session.tokenHash), REVOKED, ttl, REPLICATED));
    }
  }

  /** A cache write that may fail: the failure makes the cache suspect, never the call. */
  private async cacheWrite(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.suspect(err);
    }
  }

  private suspect(err: unknown): void {
    this.failures++;
    if (this.suspectSince !== undefined) return;
    this.suspectSince = Date.now();
    this.log.warn({ err }, 'session cache unreachable: sessions are checked in PostgreSQL until it answers again');
    this.settleTimer = setInterval(() => void this.settle(), this.settings.settleEveryMs ?? 1_000);
    this.settleTimer.unref();
  }

  /** Trusts the cache again once it answers and holds every tombstone written since the trouble began. */
  private async settle(): Promise<void> {
    const since = this.suspectSince;
    const failures = this.failures;
    if (since === undefined || !(await this.cache.ping())) return;
    try {
      await this.evictRevokedSince(since - SKEW_MS, true);
    } catch (err) {
      this.log.warn({ err }, 'session cache not settled yet');
      return;
    }
    if (failures !== this.failures || this.suspectSince !== since) return;
    this.suspectSince = undefined;
    clearInterval(this.settleTimer);
    this.settleTimer = undefined;
    this.log.info('session cache answers again and is consistent: using it');
  }

  private async sweep(): Promise<void> {
    if (this.suspectSince !== undefined) return;
    const started = Date.now();
    try {
      await this.evictRevokedSince(this.lastSweep - SKEW_MS, false);
      this.lastSweep = started;
    } catch (err) {
      this.log.warn({ err }, 'sweep of revoked sessions failed');
    }
  }

  /** Writes the tombstone of every session revoked at or after `since`; throws when the cache fails. */
  private async evictRevokedSince(since: number, strict: boolean): Promise<void> {
    const now = Date.now();
    const revoked = await runInRequestScope(undefined, () => this.sessions.revokedSince(new Date(since), new Date(now)));
    for (const session of revoked) {
      const ttl = session.expireTime.getTime() - now;
      if (ttl <= 0) continue;
      if (strict) await this.cache.set(keyOf(session.tokenHash), REVOKED, ttl, REPLICATED);
      else await this.cacheWrite(() => this.cache.set(keyOf(session.tokenHash), REVOKED, ttl, REPLICATED));
    }
  }
}

function keyOf(hash: string): string {
  return `session:${hash}`;
}

function isLive(record: SessionRecord, now: number): boolean {
  return (
    record.revokeTime === null &&
    record.userDeleteTime === null &&
    record.expireTime.getTime() > now &&
    record.absoluteExpireTime.getTime() > now
  );
}

function parse(raw: string): Cached | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Cached>;
    return typeof value.s === 'string' && typeof value.u === 'string' && typeof value.e === 'number' && typeof value.a === 'number'
      ? (value as Cached)
      : undefined;
  } catch {
    return undefined;
  }
}

function principalOf(cached: Cached): UserPrincipal {
  return { kind: 'user', id: cached.u, role: cached.r, sessionId: cached.s };
}
