import type { Metadata } from '@grpc/grpc-js';
import type { ServiceToken } from '../config.js';
import { DomainError } from '../errors/domain-error.js';
import { ANONYMOUS, type Principal, type ServicePrincipal, type UserPrincipal } from './principal.js';
import { tokenHash } from './token-hash.js';

/** Finds the user behind a session token; undefined when it is not a live session. */
export interface SessionResolver {
  resolve(token: string): Promise<UserPrincipal | undefined>;
}

/** Resolves the caller of one call from its metadata. */
export type Authenticate = (metadata: Metadata) => Promise<Principal>;

/** Distinct authorization headers remembered for service tokens (spellings may differ in spaces and the case of "Bearer"). */
const MAX_SERVICE_HEADERS = 256;

// RFC 6750 b64token, bounded so no one makes us hash megabytes.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]{1,512}=*)$/i;

/**
 * `authorization: Bearer <token>` -> the principal. No header: anonymous. A
 * configured service token (matched by its SHA-256 the first time, then by
 * the header or token itself: no hash, no I/O) or else a session token (one cache read,
 * PostgreSQL on a miss, on every call, so a revocation or expiry counts at
 * once). Anything else, including an expired or revoked session, is
 * UNAUTHENTICATED; the message never repeats the token.
 */
export function createAuthenticator(serviceTokens: readonly ServiceToken[], sessions: SessionResolver): Authenticate {
  const services = new Map<string, ServicePrincipal>(
    serviceTokens.map((t) => [t.sha256, { kind: 'service', id: t.name, methods: t.methods }]),
  );
  // Service tokens are fixed by configuration, so these never go stale. By the whole header: no parsing either.
  // Only headers bearing a configured token get in, and a few spellings of each at most are kept.
  const byHeader = new Map<string, ServicePrincipal>();
  const byToken = new Map<string, ServicePrincipal>();
  return async (metadata) => {
    const values = metadata.get('authorization');
    if (values.length === 0) return ANONYMOUS;
    const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    if (header !== undefined) {
      const known = byHeader.get(header);
      if (known !== undefined) return known;
    }
    const token = header === undefined ? undefined : BEARER.exec(header.trim())?.[1];
    if (token === undefined) {
      throw new DomainError('UNAUTHENTICATED', 'MALFORMED_AUTHORIZATION', 'authorization metadata must be one "Bearer <token>"');
    }
    let service = byToken.get(token);
    if (service === undefined) {
      service = services.get(tokenHash(token));
      if (service !== undefined) byToken.set(token, service);
    }
    if (service !== undefined) {
      if (byHeader.size >= MAX_SERVICE_HEADERS) byHeader.clear();
      byHeader.set(header as string, service);
      return service;
    }
    const principal = await sessions.resolve(token);
    if (principal === undefined) {
      throw new DomainError('UNAUTHENTICATED', 'INVALID_TOKEN', 'the token is invalid, expired or revoked; sign in again');
    }
    return principal;
  };
}
