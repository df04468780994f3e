import { DomainError } from '../errors/domain-error.js';
import { methodAllowed } from './method-allowed.js';
import type { Principal } from './principal.js';

/** A check of one RPC: throws a DomainError (UNAUTHENTICATED, PERMISSION_DENIED) to refuse. */
export type Rule = (principal: Principal, request: unknown) => void;

/** Decides, before the handler runs, whether the principal may make this call. */
export type Authorize = (principal: Principal, method: string, request: unknown) => void;

/**
 * Service principals may call only the methods their token lists. Then the
 * rule of the method, if the table has one, decides. The table is keyed by
 * gRPC path (`/package.Service/Method`); the per-RPC authorization rules are
 * added to it.
 */
export function createAuthorizer(rules: Readonly<Record<string, Rule>>): Authorize {
  return (principal, method, request) => {
    if (principal.kind === 'service' && !methodAllowed(principal.methods, method)) {
      throw new DomainError('PERMISSION_DENIED', 'METHOD_NOT_ALLOWED', `service ${principal.id} may not call ${method.slice(1)}`);
    }
    rules[method]?.(principal, request);
  };
}
