import { type CreateUserRequest, Role } from '../../generated/campus/identity/v1/user.js';
import { DomainError } from '../errors/domain-error.js';
import type { Rule } from './authorizer.js';
import { isAdmin } from './principal.js';

/**
 * Who may call UserService.CreateUser: an admin may create any user. A
 * service whose token allows CreateUser may create students (onboarding from
 * another system). Anyone else, anonymous included, may create a student only
 * while `allowSignup` is on. Instructors and admins are made by admins alone.
 */
export function createUserRule(allowSignup: boolean): Rule {
  return (principal, request) => {
    if (isAdmin(principal)) return;
    const role = (request as CreateUserRequest).user?.role ?? Role.ROLE_UNSPECIFIED;
    // Unknown role numbers go on to validation, which names the field.
    const privileged = role === Role.ROLE_INSTRUCTOR || role === Role.ROLE_ADMIN;
    if (!privileged && (allowSignup || principal.kind === 'service')) return;
    const why = privileged ? 'only an admin may create instructors and admins' : 'sign-up is closed; an admin creates users';
    if (principal.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'ADMIN_REQUIRED', `${why}: sign in as an admin`);
    throw new DomainError('PERMISSION_DENIED', 'ADMIN_REQUIRED', why);
  };
}
