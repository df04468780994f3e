import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { Principal } from '../auth/principal.js';
import { normalizeEmail } from '../crypto/blind-index.js';
import { DomainError, failedPrecondition } from '../errors/domain-error.js';
import type { Logger } from '../logger.js';
import { FieldChecks } from '../validation/field-checks.js';
import type { PasswordHasher } from './password-hasher.js';
import type { SessionStore } from './session-store.js';
import type { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';
import { PASSWORD_MAX_LENGTH } from './user.service.js';

export interface Login {
  readonly email: string;
  readonly password: string;
  /** The caller's address, for the per-peer limit on failed logins. */
  readonly peerHost: string;
}

export interface LoggedIn {
  readonly token: string;
  readonly expireTime: Date;
  readonly user: User;
}

/** Events worth counting; never carries who. */
export type AuthEvent = 'login_succeeded' | 'login_failed' | 'login_throttled';

/** Signing in and out. Knows nothing of gRPC; throws DomainError. */
export class AuthService {
  /** Verified when the email is unknown, so that both answers take as long. */
  private readonly dummyHash: Promise<string>;

  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionStore,
    private readonly throttle: LoginThrottle,
    private readonly log: Logger,
    private readonly onEvent: (event: AuthEvent) => void = () => undefined,
  ) {
    this.dummyHash = passwords.hash(randomBytes(24).toString('base64url'));
  }

  private get users() {
    return UserRepository.of(this.em);
  }

  /**
   * Opens a session when the email and password match. An unknown email and
   * a wrong password give the same error after the same work (one argon2id
   * verification), so the answer does not tell which emails exist.
   */
  async login(input: Login): Promise<LoggedIn> {
    const checks = new FieldChecks();
    checks.required(input.email, 'email');
    checks.required(input.password, 'password');
    checks.check(input.email.length <= 320, 'email', 'TOO_LONG', 'email must have at most 320 characters');
    checks.check(
      [...input.password].length <= PASSWORD_MAX_LENGTH,
      'password',
      'TOO_LONG',
      `password must have at most ${PASSWORD_MAX_LENGTH} characters`,
    );
    checks.throwIfAny();

    const email = normalizeEmail(input.email);
    let attempt: Awaited<ReturnType<LoginThrottle['begin']>>;
    try {
      attempt = await this.throttle.begin(email, input.peerHost);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'RESOURCE_EXHAUSTED') this.onEvent('login_throttled');
      throw err;
    }
    const user = await this.users.findCredentials(email);
    const ok = await this.passwords.verify(user?.passwordHash ?? (await this.dummyHash), input.password);
    if (!user || !ok) {
      this.onEvent('login_failed');
      this.log.info({ userId: user?.id }, 'login failed');
      throw new DomainError('UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'email or password is wrong');
    }
    await attempt.succeeded();
    const session = await this.sessions.open(user);
    this.onEvent('login_succeeded');
    this.log.info({ userId: user.id, sessionId: session.id }, 'login');
    return { token: session.token, expireTime: session.expireTime, user };
  }

  /** Revokes the caller's own session at once. */
  async logout(principal: Principal): Promise<void> {
    if (principal.kind === 'service') {
      throw failedPrecondition('NOT_A_SESSION', {
        type: 'PRINCIPAL',
        subject: `services/${principal.id}`,
        description: 'a service token is not a session; remove it from SERVICE_TOKENS to revoke it',
      });
    }
    if (principal.kind !== 'user') throw new DomainError('UNAUTHENTICATED', 'SESSION_REQUIRED', 'no session to log out of');
    await this.sessions.revoke(principal.sessionId, principal.id);
    this.log.info({ userId: principal.id, sessionId: principal.sessionId }, 'logout');
  }

  /** The calling principal, with the user record when it is a user. */
  async whoAmI(principal: Principal): Promise<{ principal: Principal; user: User | undefined }> {
    if (principal.kind !== 'user') return { principal, user: undefined };
    const user = await this.users.findOne({ id: principal.id, deleteTime: null });
    // Deleted since the call was authenticated.
    if (!user) throw new DomainError('UNAUTHENTICATED', 'INVALID_TOKEN', 'the token is invalid, expired or revoked; sign in again');
    return { principal, user };
  }
}
