import { type handleUnaryCall, type Metadata, type ServerUnaryCall, status } from '@grpc/grpc-js';
import type { Authenticate } from '../auth/authenticator.js';
import type { Authorize } from '../auth/authorizer.js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { checkBeforeStoreUse, runInRequestScope } from '../db/request-scope.js';
import { invalidArgument } from '../errors/domain-error.js';
import type { Logger } from '../logger.js';
import type { CallerLimits } from './caller-limits.js';
import { type Drain, refusal } from './drain.js';
import { type CallObserver, endedEarly } from './observe.js';
import type { RouteReads } from './replica-reads.js';
import { RejectedRequest } from './request-checks.js';
import { toGrpcStatus } from './status.js';

/** What a handler may know of the call besides its request message. */
export interface CallContext {
  readonly metadata: Metadata;
  readonly peer: string;
  readonly principal: Principal;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/** Adapts an async handler to grpc-js; the same wrapper serves every unary RPC. */
export type Unary = <Req, Res>(handler: UnaryHandler<Req, Res>) => handleUnaryCall<Req, Res>;

/** What every call passes before its handler runs. */
export interface CallGuards {
  /** Who is calling, from the call's metadata; throws UNAUTHENTICATED for a bad token. */
  readonly authenticate: Authenticate;
  /**
   * May this principal make this call; throws PERMISSION_DENIED or
   * UNAUTHENTICATED, or returns a check the response must pass.
   */
  readonly authorize: Authorize;
  /** Per-caller bound on calls in flight. */
  readonly limits?: CallerLimits;
  /** Where the handler's PostgreSQL reads go (see replica-reads.ts); all to the primary when unset. */
  readonly routeReads?: RouteReads;
  /** Counts the calls in flight; refuses new ones (UNAVAILABLE) once shutdown began. */
  readonly drain?: Drain;
}

/** Everyone anonymous, everything allowed: for tools and tests that build a bare server. */
const OPEN: CallGuards = { authenticate: async () => ANONYMOUS, authorize: async () => undefined };

/**
 * Every unary RPC runs here: in its own request scope (a fresh unit of work
 * per store, the caller's deadline passed down to the stores), with its
 * caller authenticated once, counted against the caller's limit until it ends or its
 * deadline passes (so that the lookups some authorization rules make are
 * bounded too), its request's
 * boundary checks applied (see withRequestChecks), authorized (a read
 * whose rule decides on the loaded resource has its response checked before
 * it is sent), and observed (metrics, one log line). Whatever it throws is
 * mapped to a status by `toGrpcStatus`, the only place that does. Unexpected
 * errors are logged with their cause; the caller sees INTERNAL. Once the
 * drain began (shutdown), a new call is refused with UNAVAILABLE before any
 * of this.
 */
export function createUnary(log: Logger, guards: CallGuards = OPEN, observer?: CallObserver): Unary {
  return <Req, Res>(handler: UnaryHandler<Req, Res>): handleUnaryCall<Req, Res> =>
    (call, callback) => {
      const startedAt = performance.now();
      const deadline = deadlineOf(call);
      const method = call.getPath();
      const m = observer?.method(method, 'unary');
      m?.started.inc();
      m?.received.inc();
      const drain = guards.drain;
      if (drain && !drain.admit()) {
        if (m) observer?.finish(m, method, status.UNAVAILABLE, startedAt);
        return callback(refusal());
      }
      const peer = call.getPeer();
      runInRequestScope(deadline, async () => {
        const principal = await guards.authenticate(call.metadata);
        const limits = guards.limits;
        // A call whose deadline passed (or whose caller went away) stops counting against the caller
        // then, not when a handler stuck on a store finally returns.
        const slot = limits && new Slot(limits.tryAdmit(principal, peer));
        if (slot) {
          if (call.cancelled) slot.giveBack();
          else call.on('cancelled', () => slot.giveBack());
          // Over its caller's limit a call may still be answered from the cache (its caller's other calls may be
          // stuck on a store); it is refused with RESOURCE_EXHAUSTED when it needs a store, unless a slot is free by then.
          if (!slot.release) checkBeforeStoreUse(() => slot.admitLate(limits, principal, peer));
        }
        try {
          // Checked once for every field as it was deserialized (see withRequestChecks), before any rule reads it.
          if ((call.request as unknown) instanceof RejectedRequest)
            throw invalidArgument((call.request as unknown as RejectedRequest).violations);
          const checkResponse = await guards.authorize(principal, method, call.request);
          const ctx: CallContext = { metadata: call.metadata, peer, principal };
          const response = guards.routeReads
            ? await guards.routeReads(
                method,
                principal,
                call.metadata,
                () => handler(call.request, ctx),
                (metadata) => call.sendMetadata(metadata),
              )
            : await handler(call.request, ctx);
          await checkResponse?.(response);
          return response;
        } finally {
          slot?.giveBack();
        }
      }).then(
        (response) => {
          if (m) {
            if (call.cancelled) observer?.finish(m, method, endedEarly(deadline), startedAt);
            else {
              m.sent.inc();
              observer?.finish(m, method, status.OK, startedAt);
            }
          }
          callback(null, response);
          drain?.done();
        },
        (err: unknown) => {
          const mapped = toGrpcStatus(err, deadline !== undefined && Date.now() >= deadline);
          if (mapped.unexpected) log.error({ err, method }, 'unexpected error');
          if (m) observer?.finish(m, method, call.cancelled ? endedEarly(deadline) : mapped.status.code, startedAt);
          callback(mapped.status);
          drain?.done();
        },
      );
    };
}

/**
 * A call's place in its caller's limit, given back once: when the call ends or
 * is cancelled, whichever comes first. (One object per call rather than
 * closures: this runs on every call.)
 */
class Slot {
  private ended = false;

  constructor(public release: (() => void) | undefined) {}

  giveBack(): void {
    this.ended = true;
    this.release?.();
  }

  /** Before a store is used by a call admitted over its caller's limit: throws RESOURCE_EXHAUSTED unless a slot is free now. */
  admitLate(limits: CallerLimits, principal: Principal, peer: string): void {
    if (!this.release && !this.ended) this.release = limits.admit(principal, peer);
  }
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}
