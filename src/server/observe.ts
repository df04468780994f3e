import { type Deadline, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, status } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { GrpcMetrics, GrpcType, MethodMetrics } from '../metrics/grpc-metrics.js';

/** Status names as go-grpc-middleware labels them (`codes.Code.String()`). */
const CODE_NAMES: Record<number, string> = {
  [status.OK]: 'OK',
  [status.CANCELLED]: 'Canceled',
  [status.UNKNOWN]: 'Unknown',
  [status.INVALID_ARGUMENT]: 'InvalidArgument',
  [status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [status.NOT_FOUND]: 'NotFound',
  [status.ALREADY_EXISTS]: 'AlreadyExists',
  [status.PERMISSION_DENIED]: 'PermissionDenied',
  [status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [status.ABORTED]: 'Aborted',
  [status.OUT_OF_RANGE]: 'OutOfRange',
  [status.UNIMPLEMENTED]: 'Unimplemented',
  [status.INTERNAL]: 'Internal',
  [status.UNAVAILABLE]: 'Unavailable',
  [status.DATA_LOSS]: 'DataLoss',
  [status.UNAUTHENTICATED]: 'Unauthenticated',
};

/**
 * The code of a call that ended before its handler answered: grpc-js marks a
 * call cancelled both when the client gave up and when its deadline passed
 * (it has then sent DEADLINE_EXCEEDED), and the metrics must tell them apart.
 */
export function endedEarly(deadline: Deadline | undefined): status {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return ms !== undefined && Number.isFinite(ms) && Date.now() >= ms ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}

/**
 * Metrics and the request log of every call: one log line per RPC with
 * method, code and duration, never the request body; go-grpc-middleware's
 * metric families.
 */
export class CallObserver {
  constructor(
    private readonly metrics: GrpcMetrics,
    private readonly log: Logger,
  ) {}

  /** The label children of a method (looked up once per method, then from a Map). */
  method(path: string, type: GrpcType): MethodMetrics {
    return this.metrics.forMethod(path, type);
  }

  /** Records the end of a call that started at `startedAt` (performance.now()). */
  finish(m: MethodMetrics, path: string, code: number, startedAt: number): void {
    const seconds = (performance.now() - startedAt) / 1000;
    const codeName = CODE_NAMES[code] ?? 'Unknown';
    m.handled(codeName).inc();
    m.handling.observe(seconds);
    if (this.log.isLevelEnabled('info')) this.log.info({ method: path, code: codeName, ms: Math.round(seconds * 1e6) / 1e3 }, 'rpc');
  }
}

/**
 * The same observation as a grpc-js interceptor, for the calls that do not go
 * through our unary adapter (health, reflection, streams). Unary calls for
 * which `observedElsewhere(path)` holds pass through untouched: a wrapping layer per
 * call is a measurable share of a cached read.
 */
export function observeCalls(observer: CallObserver, observedElsewhere: (path: string) => boolean): ServerInterceptor {
  return (method, call) => {
    const unary = !method.requestStream && !method.responseStream;
    if (unary && observedElsewhere(method.path)) return call as ServerInterceptingCallInterface as ServerInterceptingCall;
    const type: GrpcType = method.requestStream
      ? method.responseStream
        ? 'bidi_stream'
        : 'client_stream'
      : method.responseStream
        ? 'server_stream'
        : 'unary';
    const m = observer.method(method.path, type);
    const startedAt = performance.now();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      observer.finish(m, method.path, code, startedAt);
    };
    m.started.inc();
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            m.received.inc();
            nextMessage(message);
          },
          onCancel: () => finish(endedEarly(call.getDeadline())),
        }),
      sendMessage: (message, next) => {
        m.sent.inc();
        next(message);
      },
      sendStatus: (st, next) => {
        finish(st.code);
        next(st);
      },
    });
  };
}
