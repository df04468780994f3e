import { AuthServiceService } from '../../generated/campus/identity/v1/auth.js';
import { UserServiceService } from '../../generated/campus/identity/v1/user.js';
import type { DomainModule } from '../domain-module.js';
import { identityRules } from './identity.rules.js';
import { SessionSchema } from './session.entity.js';
import { UserSchema } from './user.entity.js';

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
  rules: identityRules,
  auditActions: IDENTITY_AUDIT_ACTIONS,
} as const satisfies DomainModule;
