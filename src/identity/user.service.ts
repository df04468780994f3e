import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { alreadyExists, notFound } from '../errors/domain-error.js';
import { FieldChecks } from '../validation/field-checks.js';
import type { PasswordHasher } from './password-hasher.js';
import { type User, type UserRole, UserSchema } from './user.entity.js';

export interface CreateUser {
  readonly name: string;
  readonly email: string;
  readonly role: UserRole | undefined;
  readonly password: string;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

/** Use cases of users. Knows nothing of gRPC; throws DomainError. */
export class UserService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly passwords: PasswordHasher,
  ) {}

  private get users() {
    return this.em.getRepository(UserSchema);
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
    const emailKey = email.toLowerCase();
    if (await this.users.findByEmail(emailKey)) throw emailTaken();
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
    try {
      await this.em.flush();
    } catch (err) {
      // Two concurrent sign-ups with one email: the unique index decides.
      if (err instanceof UniqueConstraintViolationException) throw emailTaken();
      throw err;
    }
    return user;
  }

  async get(id: string): Promise<User> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const user = await this.users.findById(id);
    if (!user) throw notFound('User', id);
    return user;
  }
}

function emailTaken() {
  return alreadyExists('User', 'EMAIL_TAKEN', 'a user with this email already exists');
}
