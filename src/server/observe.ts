import { ServerInterceptingCall, type ServerInterceptor, status } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { GrpcMetrics, GrpcType } from '../metrics/grpc-metrics.js';

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
 * Metrics and the request log for every call, ours and the framework's
 * (health, reflection) alike: one log line per RPC with method, code and
 * duration; never the request body.
 */
export function observeCalls(metrics: GrpcMetrics, log: Logger): ServerInterceptor {
  return (method, call) => {
    const type: GrpcType = method.requestStream
      ? method.responseStream
        ? 'bidi_stream'
        : 'client_stream'
      : method.responseStream
        ? 'server_stream'
        : 'unary';
    const m = metrics.forMethod(method.path, type);
    const startedAt = performance.now();
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - startedAt) / 1000;
      const codeName = CODE_NAMES[code] ?? 'Unknown';
      m.handled(codeName).inc();
      m.handling.observe(seconds);
      log.info({ method: method.path, code: codeName, ms: Math.round(seconds * 1e6) / 1e3 }, 'rpc');
    };
    m.started.inc();
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            m.received.inc();
            nextMessage(message);
          },
          onCancel: () => finish(status.CANCELLED),
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
