import type { handleUnaryCall, Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { runInRequestScope } from '../db/request-scope.js';
import type { Logger } from '../logger.js';
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

/**
 * Every unary RPC runs here: in its own request scope (a fresh unit of work
 * per store, the caller's deadline passed down to the stores), and whatever
 * it throws is mapped to a status by `toGrpcStatus`, the only place that does.
 * Unexpected errors are logged with their cause; the caller sees INTERNAL.
 */
export function createUnary(log: Logger): Unary {
  return <Req, Res>(handler: UnaryHandler<Req, Res>): handleUnaryCall<Req, Res> =>
    (call, callback) => {
      const deadline = deadlineOf(call);
      const ctx: CallContext = { metadata: call.metadata, peer: call.getPeer(), principal: ANONYMOUS };
      runInRequestScope(deadline, () => handler(call.request, ctx)).then(
        (response) => callback(null, response),
        (err: unknown) => {
          const mapped = toGrpcStatus(err, deadline !== undefined && Date.now() >= deadline);
          if (mapped.unexpected) log.error({ err, method: call.getPath() }, 'unexpected error');
          callback(mapped.status);
        },
      );
    };
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}
