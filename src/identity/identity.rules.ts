import { AuthServiceService as A } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceService as U } from '../../generated/campus/identity/v1/user.js';
import { type MethodRule, type RuleSettings, rule } from '../auth/access-rule.js';
import { is } from '../auth/rule-helpers.js';
import { updatesField } from '../validation/field-mask.js';

/** The rows of the rule table for campus.identity.v1.UserService and AuthService (see src/auth/rules.ts). */
export function identityRules(settings: RuleSettings): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    // campus.identity.v1.UserService
    rule(U.createUser, {
      anonymous: ['signup'], student: ['signup'], instructor: ['signup'], admin: 'all', service: ['new_student'],
      before: {
        signup: (_p, req) => settings.allowSignup && !privilegedRole(req.user?.role),
        new_student: (_p, req) => !privilegedRole(req.user?.role),
      },
      note: 'instructors and admins are created by admins only; sign-up (`ALLOW_SIGNUP`, default on) creates students',
      deniedReason: 'ADMIN_REQUIRED',
    }),
    rule(U.getUser, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.id) },
      note: 'own: their own user',
    }),
    rule(U.batchGetUsers, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),
    rule(U.listUsers, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),
    rule(U.updateUser, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.user?.id) },
      limit: (_p, req) => (changesRole(req.updateMask, req.user?.role) ? { reason: 'ADMIN_REQUIRED', message: 'only an admin may change a role' } : undefined),
      note: 'own: their own name and email; only admins change roles',
    }),
    rule(U.deleteUser, { anonymous: 'none', student: 'none', instructor: 'none', admin: 'all', service: 'all' }),

    // campus.identity.v1.AuthService
    rule(A.login, { anonymous: 'all', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),
    rule(A.logout, { anonymous: 'none', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),
    rule(A.whoAmI, { anonymous: 'all', student: 'all', instructor: 'all', admin: 'all', service: 'all' }),
  ];
}

function privilegedRole(role: Role | undefined): boolean {
  return role === Role.ROLE_INSTRUCTOR || role === Role.ROLE_ADMIN;
}

/** Whether an UpdateUser changes the role (AIP-134, see fieldsToUpdate). */
function changesRole(mask: readonly string[] | undefined, role: Role | undefined): boolean {
  return updatesField(mask, 'role', role !== undefined && role !== Role.ROLE_UNSPECIFIED);
}
