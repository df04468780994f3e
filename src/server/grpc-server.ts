import { Server, type ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import type { Drain } from './drain.js';

export interface GrpcServerSettings {
  readonly maxMessageBytes: number;
  readonly interceptors: ServerInterceptor[];
}

/** A grpc-js server with its limits and keepalive set explicitly. */
export function createGrpcServer(settings: GrpcServerSettings): Server {
  return new Server({
    interceptors: settings.interceptors,
    'grpc.max_receive_message_length': settings.maxMessageBytes,
    'grpc.max_send_message_length': settings.maxMessageBytes,
    // Ping idle clients every 2 min; drop a connection that does not answer in 20 s.
    'grpc.keepalive_time_ms': 120_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Tolerate client pings no more often than every 10 s.
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    // Recycle connections after 30 min (+30 s grace) so load balancers rebalance.
    'grpc.max_connection_age_ms': 30 * 60_000,
    'grpc.max_connection_age_grace_ms': 30_000,
    'grpc.max_connection_idle_ms': 10 * 60_000,
    'grpc.max_concurrent_streams': 1_000,
    // Channelz bookkeeping runs on every call and nothing here reads it.
    'grpc.enable_channelz': 0,
  });
}

export function bind(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

/**
 * Drains, then stops. New calls are refused (UNAVAILABLE, see Drain) while
 * the server still accepts connections, so health probes read NOT_SERVING;
 * once the calls in flight have finished the server closes its ports and
 * connections. When `graceMs` runs out first, whatever is left is cut.
 */
export async function shutdown(server: Server, drain: Drain, graceMs: number): Promise<'graceful' | 'forced'> {
  const until = Date.now() + graceMs;
  if (!(await drain.begin(graceMs))) {
    server.forceShutdown();
    return 'forced';
  }
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        server.forceShutdown();
        resolve('forced');
      },
      Math.max(0, until - Date.now()),
    );
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve('graceful');
    });
  });
}
