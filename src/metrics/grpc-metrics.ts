import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The gRPC server metrics of go-grpc-middleware (grpc-ecosystem), same names
 * and labels, so existing dashboards and alerts work unchanged.
 */
export class GrpcMetrics {
  private readonly started: Counter<string>;
  private readonly handled: Counter<string>;
  private readonly handling: Histogram<string>;
  private readonly received: Counter<string>;
  private readonly sent: Counter<string>;
  private readonly methods = new Map<string, MethodMetrics>();

  constructor(registry: Registry) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'];
    this.started = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames,
      registers: [registry],
    });
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
      registers: [registry],
    });
    this.handling = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.received = new Counter({
      name: 'grpc_server_msg_received_total',
      help: 'Total number of RPC stream messages received on the server.',
      labelNames,
      registers: [registry],
    });
    this.sent = new Counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames,
      registers: [registry],
    });
  }

  /** Label children for one method, looked up once and reused on every call. */
  forMethod(path: string, type: GrpcType): MethodMetrics {
    let m = this.methods.get(path);
    if (m === undefined) {
      const [service = '', method = ''] = path.slice(1).split('/');
      const labels = { grpc_type: type, grpc_service: service, grpc_method: method };
      m = new MethodMetrics(
        this.started.labels(labels),
        this.handling.labels(labels),
        this.received.labels(labels),
        this.sent.labels(labels),
        (code) => this.handled.labels({ ...labels, grpc_code: code }),
        service,
        method,
      );
      this.methods.set(path, m);
    }
    return m;
  }
}

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

export class MethodMetrics {
  private readonly handledByCode = new Map<string, CounterChild>();

  constructor(
    readonly started: CounterChild,
    readonly handling: HistogramChild,
    readonly received: CounterChild,
    readonly sent: CounterChild,
    private readonly handledFor: (code: string) => CounterChild,
    readonly service: string,
    readonly method: string,
  ) {}

  handled(code: string): CounterChild {
    let c = this.handledByCode.get(code);
    if (c === undefined) {
      c = this.handledFor(code);
      this.handledByCode.set(code, c);
    }
    return c;
  }
}
