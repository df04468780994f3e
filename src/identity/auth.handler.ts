import { type AuthServiceServer, PrincipalKind, type Principal as PrincipalMessage } from '../../generated/campus/identity/v1/auth.js';
import type { Principal } from '../auth/principal.js';
import { hostOf } from '../server/caller-limits.js';
import { sharedResponse } from '../server/shared-responses.js';
import type { Unary } from '../server/unary.js';
import type { AuthService } from './auth.service.js';
import { toMessage } from './user.handler.js';

const KINDS = {
  anonymous: PrincipalKind.PRINCIPAL_KIND_ANONYMOUS,
  user: PrincipalKind.PRINCIPAL_KIND_USER,
  service: PrincipalKind.PRINCIPAL_KIND_SERVICE,
};

/** campus.identity.v1.AuthService: proto in, use case, proto out. */
export function authHandlers(unary: Unary, auth: AuthService): AuthServiceServer {
  return {
    login: unary(async (req, ctx) => {
      const { token, expireTime, user } = await auth.login({ email: req.email, password: req.password, peerHost: hostOf(ctx.peer) });
      return { sessionToken: token, expireTime, user: toMessage(user) };
    }),
    logout: unary(async (_req, ctx) => {
      await auth.logout(ctx.principal);
      return {};
    }),
    whoAmI: unary(async (_req, ctx) => {
      const { principal, user } = await auth.whoAmI(ctx.principal);
      // A service's or an anonymous caller's principal is one object for all its calls: its answer is built and encoded once.
      if (user === undefined) return sharedResponse(principal, whoAmIMessage);
      return { ...whoAmIMessage(principal), user: toMessage(user) };
    }),
  };
}

function whoAmIMessage(principal: Principal): PrincipalMessage {
  return {
    kind: KINDS[principal.kind],
    id: principal.id,
    user: undefined,
    allowedMethods: principal.kind === 'service' ? [...principal.methods] : [],
  };
}
