import { AuthServiceService } from '../../generated/campus/identity/v1/auth.js';
import { UserServiceService } from '../../generated/campus/identity/v1/user.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { Cache } from '../cache/cache.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { DomainModule, ModuleContext, ServedServices } from '../domain-module.js';
import { authHandlers } from './auth.handler.js';
import { type AuthEvent, AuthService } from './auth.service.js';
import { identityRules } from './identity.rules.js';
import type { PasswordHasher } from './password-hasher.js';
import { SessionSchema } from './session.entity.js';
import type { SessionStore } from './session-store.js';
import { UserCache } from './user.cache.js';
import { UserSchema } from './user.entity.js';
import { userHandlers } from './user.handler.js';
import { UserService } from './user.service.js';

/** What the identity module takes from the composition root. */
export interface IdentityModuleDeps extends ModuleContext {
  readonly cache: Cache;
  /** Seals the cached profiles (names and emails are personal data). */
  readonly keyRing: KeyRing;
  readonly passwords: PasswordHasher;
  /** Made before the module: the authenticator of every call reads it. */
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  readonly countAuth: (event: AuthEvent) => void;
}

/** What the identity domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const IDENTITY_AUDIT_ACTIONS = {
  'user.created': 'CreateUser: a sign-up, a user created by an admin or a service, and the bootstrap admin at start',
  'user.updated': 'UpdateUser of the name or email (the diff names the fields, never their values)',
  'user.role_changed': 'UpdateUser of the role (the diff holds both roles)',
  'user.deleted': 'DeleteUser',
  'session.created': 'Login',
  'session.revoked': 'Logout, and every session of a user revoked at once',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof IDENTITY_AUDIT_ACTIONS, string> {}
}

/** Users, their sign-up and roles; sessions, login and logout. */
export const identityModule = {
  definitions: [UserServiceService, AuthServiceService],
  entities: [UserSchema, SessionSchema],
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    users: {
      class: 'reference',
      why: 'the email blind index is unique across all users and cannot include user_id; catalog items point at instructors; every node can join to it',
    },
    sessions: {
      class: 'local',
      why: 'read by token hash on every call that misses the session cache; unique token hash; references users (reference)',
    },
  },
  rules: identityRules,
  auditActions: IDENTITY_AUDIT_ACTIONS,
  start: (deps: IdentityModuleDeps): { readonly services: ServedServices; readonly users: UserService } => {
    const users = new UserService(deps.em, deps.passwords, deps.tokens, new UserCache(deps.cache, deps.em, deps.keyRing));
    const auth = new AuthService(deps.em, deps.passwords, deps.sessions, deps.throttle, deps.log, deps.countAuth);
    return {
      services: [
        [UserServiceService, userHandlers(deps.unary, users)],
        [AuthServiceService, authHandlers(deps.unary, auth)],
      ],
      users,
    };
  },
} as const satisfies DomainModule;
