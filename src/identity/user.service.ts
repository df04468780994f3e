import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { diffOf, recordAudit } from '../audit/audit-log.js';
import { transactional } from '../db/transaction.js';
import { alreadyExists, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { decodeTimeIdToken, timeIdPage } from '../pagination/time-id-keyset.js';
import { FieldChecks } from '../validation/field-checks.js';
import { fieldsToUpdate } from '../validation/field-mask.js';
import type { PasswordHasher } from './password-hasher.js';
import type { UserCache } from './user.cache.js';
import type { User, UserData, UserRole } from './user.entity.js';
import { UserRepository } from './user.repository.js';

export interface CreateUser {
  readonly name: string;
  readonly email: string;
  readonly role: UserRole | undefined;
  readonly password: string;
  /** Who creates the user, for the audit log: absent for a sign-up (the new user is its own actor). */
  readonly actor?: string;
}

/**
 * A role as a request carries it: null when not set (ROLE_UNSPECIFIED),
 * undefined when it is no known role (invalid).
 */
export type RoleInput = UserRole | null | undefined;

export interface UpdateUser {
  readonly id: string;
  /** The etag the caller read; empty skips the check. */
  readonly etag: string;
  /** Paths to change; empty means every updatable field that is set. */
  readonly updateMask: readonly string[] | undefined;
  readonly name: string;
  readonly email: string;
  readonly role: RoleInput;
  /** Who asks, for the audit trail. */
  readonly actor: string;
}

export interface DeleteUser {
  readonly id: string;
  /** The etag the caller read; empty skips the check. */
  readonly etag: string;
  /** Who asks, for the audit trail. */
  readonly actor: string;
}

export interface ListUsers {
  readonly pageSize: number;
  readonly pageToken: string;
  /** Only this role; null for every role. */
  readonly role: RoleInput;
}

export interface UserPage {
  readonly users: User[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

export const UPDATABLE_USER_FIELDS = ['name', 'email', 'role'] as const;
type UpdatableUserField = (typeof UPDATABLE_USER_FIELDS)[number];

export const BATCH_GET_MAX_IDS = 1000;

/**
 * What a deleted user's password hash becomes: not an argon2 encoding, so no
 * password can ever verify against it.
 */
export const UNUSABLE_PASSWORD_HASH = '!deleted';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * Use cases of users. Knows nothing of gRPC; throws DomainError. GetUser
 * reads through the user cache; every write invalidates the user once it has
 * committed.
 */
export class UserService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly passwords: PasswordHasher,
    private readonly pageTokens: PageTokens,
    private readonly cache: UserCache,
  ) {}

  private get users() {
    return UserRepository.of(this.em);
  }

  async create(input: CreateUser): Promise<User> {
    const checks = new FieldChecks()
      .text(input.name, 'user.name', { max: 200 })
      .email(input.email, 'user.email')
      .check(input.role !== undefined, 'user.role', 'INVALID_ENUM', 'user.role is not a known role');
    const passwordLength = [...input.password].length;
    checks.check(
      passwordLength >= PASSWORD_MIN_LENGTH,
      'password',
      'TOO_SHORT',
      `password must have at least ${PASSWORD_MIN_LENGTH} characters`,
    );
    checks.check(
      passwordLength <= PASSWORD_MAX_LENGTH,
      'password',
      'TOO_LONG',
      `password must have at most ${PASSWORD_MAX_LENGTH} characters`,
    );
    checks.throwIfAny();

    const email = input.email.trim();
    const emailKey = this.users.emailKeyOf(email);
    if (await this.users.findByEmail(email)) throw emailTaken();
    const passwordHash = await this.passwords.hash(input.password);
    const now = new Date();
    const user = this.users.create({
      id: uuidv7(),
      name: input.name.trim(),
      email,
      emailKey,
      role: input.role ?? 'student',
      passwordHash,
      createTime: now,
      updateTime: now,
    });
    // One flush, one transaction: the user and its audit entry commit together.
    recordAudit(this.em, { actor: input.actor ?? user.id, action: 'user.created', entityId: user.id, diff: { role: [null, user.role] } });
    try {
      await this.em.flush();
    } catch (err) {
      // Two concurrent sign-ups with one email: the unique index decides.
      if (err instanceof UniqueConstraintViolationException) throw emailTaken();
      throw err;
    }
    // A NOT_FOUND of this id may be cached.
    await this.cache.invalidate([user.id]);
    return user;
  }

  async get(id: string): Promise<UserData> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const user = await this.cache.get(id);
    if (!user) throw notFound('User', id);
    return user;
  }

  /** The users of `ids` in that order (duplicates repeated); NOT_FOUND names the first missing id. */
  async batchGet(ids: readonly string[]): Promise<UserData[]> {
    const checks = new FieldChecks().check(
      ids.length <= BATCH_GET_MAX_IDS,
      'ids',
      'TOO_MANY',
      `ids must name at most ${BATCH_GET_MAX_IDS} users`,
    );
    if (checks.ok) {
      for (const [i, id] of ids.entries()) checks.uuid(id, `ids[${i}]`);
    }
    checks.throwIfAny();
    const found = new Map((await this.users.readByIds(ids)).map((u) => [u.id, u]));
    return ids.map((id) => {
      const user = found.get(id.toLowerCase());
      if (!user) throw notFound('User', id);
      return user;
    });
  }

  /** One page of live users, newest first, optionally of one role. */
  async list(input: ListUsers): Promise<UserPage> {
    const checks = new FieldChecks();
    const size = pageSize(input.pageSize, checks);
    checks.check(input.role !== undefined, 'role', 'INVALID_ENUM', 'role is not a known role');
    checks.throwIfAny();
    const role = input.role ?? undefined;
    // Binds tokens to this filter and order: a token of another query is refused.
    const query = `ListUsers role=${role ?? '*'} order=create_time desc,id desc`;
    const position = decodeTimeIdToken(this.pageTokens, input.pageToken, query);
    const after = position && { createTime: position.time, id: position.id };
    const rows = await this.users.listNewestFirst({ role, after, limit: size + 1 });
    const page = timeIdPage(rows, size, this.pageTokens, query, (u) => ({ time: u.createTime, id: u.id }));
    return { users: page.items, nextPageToken: page.nextPageToken };
  }

  /**
   * Changes the masked fields in one transaction, with their audit entries:
   * `user.role_changed` with the roles before and after, `user.updated` with
   * the names of the other changed fields only (their values are personal data).
   */
  async update(input: UpdateUser): Promise<User> {
    const checks = new FieldChecks().uuid(input.id, 'user.id');
    const populated = { name: input.name !== '', email: input.email !== '', role: input.role !== null } satisfies Record<
      UpdatableUserField,
      boolean
    >;
    const fields = fieldsToUpdate(input.updateMask, populated, checks);
    if (fields.has('name')) checks.text(input.name, 'user.name', { max: 200 });
    if (fields.has('email')) checks.email(input.email, 'user.email');
    if (fields.has('role')) {
      checks
        .check(input.role !== null, 'user.role', 'FIELD_REQUIRED', 'user.role is required')
        .check(input.role !== undefined, 'user.role', 'INVALID_ENUM', 'user.role is not a known role');
    }
    checks.throwIfAny();

    let updated: User;
    try {
      updated = await transactional(this.em, async (tx) => {
        const users = UserRepository.of(tx);
        const user = await users.findById(input.id);
        if (!user) throw notFound('User', input.id);
        checkEtag(user.version, input.etag, 'User');
        const before = { name: user.name, email: user.email, role: user.role };
        if (fields.has('name')) user.name = input.name.trim();
        if (fields.has('email')) {
          const email = input.email.trim();
          const emailKey = users.emailKeyOf(email);
          if (emailKey !== user.emailKey && (await users.findByEmail(email))) throw emailTaken();
          user.email = email;
          user.emailKey = emailKey;
        }
        if (fields.has('role') && input.role) user.role = input.role;

        const roleDiff = diffOf<typeof before>(before, user, ['role']);
        if (Object.keys(roleDiff).length > 0) {
          recordAudit(tx, { actor: input.actor, action: 'user.role_changed', entityId: user.id, diff: roleDiff });
        }
        const changed = Object.keys(diffOf<typeof before>(before, user, ['name', 'email']));
        if (changed.length > 0) {
          recordAudit(tx, { actor: input.actor, action: 'user.updated', entityId: user.id, diff: { fields: changed } });
        }
        return user;
      });
    } catch (err) {
      // Two users taking one email at once: the unique index decides.
      if (err instanceof UniqueConstraintViolationException) throw emailTaken();
      throw err;
    }
    await this.cache.invalidate([updated.id]);
    return updated;
  }

  /**
   * Erases the user's personal data and marks the row deleted. The row stays
   * so enrollments and payments keep their reference; from now on the user
   * is NOT_FOUND everywhere and the email is free to be registered again.
   */
  async delete(input: DeleteUser): Promise<void> {
    new FieldChecks().uuid(input.id, 'id').throwIfAny();
    await transactional(this.em, async (tx) => {
      const users = UserRepository.of(tx);
      const user = await users.findById(input.id);
      if (!user) throw notFound('User', input.id);
      checkEtag(user.version, input.etag, 'User');
      const placeholder = erasedEmail(user.id);
      user.name = '';
      user.email = placeholder;
      // Unique per user like the placeholder itself, so the unique index holds.
      user.emailKey = users.emailKeyOf(placeholder);
      user.passwordHash = UNUSABLE_PASSWORD_HASH;
      user.deleteTime = new Date();
      recordAudit(tx, { actor: input.actor, action: 'user.deleted', entityId: user.id });
    });
    await this.cache.invalidate([input.id]);
  }
}

/**
 * The email of a deleted user: no personal data, unique per user so the
 * unique index on email_key still holds, and in the reserved `.invalid`
 * domain so nothing is ever sent there.
 */
export function erasedEmail(id: string): string {
  return `deleted+${id}@invalid`;
}

function emailTaken() {
  return alreadyExists('User', 'EMAIL_TAKEN', 'a user with this email already exists');
}
