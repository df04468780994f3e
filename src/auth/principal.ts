/**
 * Who is calling, resolved once per call by the unary adapter from the
 * `authorization: Bearer <token>` metadata (see authenticator.ts) and handed
 * to handlers as `ctx.principal`. The audit trail records `id` as the actor.
 *
 * - `anonymous`: no token was sent. What anonymous callers may do is the
 *   authorization rules' decision, not authentication's.
 * - `user`: a session token from AuthService.Login; carries the user's role
 *   as it was when the session was created (sessions are revoked when a role
 *   changes or the user is deleted, see SessionStore.revokeAllOfUser).
 * - `service`: an internal service token from SERVICE_TOKENS; carries the
 *   methods it may call.
 */
export type Principal = AnonymousPrincipal | UserPrincipal | ServicePrincipal;

export type PrincipalRole = 'student' | 'instructor' | 'admin';

export interface AnonymousPrincipal {
  readonly kind: 'anonymous';
  readonly id: 'anonymous';
}

export interface UserPrincipal {
  readonly kind: 'user';
  /** The user's id. */
  readonly id: string;
  readonly role: PrincipalRole;
  /** The session the token belongs to (Logout revokes it). */
  readonly sessionId: string;
}

export interface ServicePrincipal {
  readonly kind: 'service';
  /** The service's name from SERVICE_TOKENS, e.g. `billing-worker`. */
  readonly id: string;
  /**
   * Method patterns it may call: `package.Service/Method`, `package.Service/*`
   * or `*` (see methodAllowed).
   */
  readonly methods: readonly string[];
}

export const ANONYMOUS: AnonymousPrincipal = { kind: 'anonymous', id: 'anonymous' };

/** True when the principal is a signed-in user with the admin role. */
export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.role === 'admin';
}
