import { Counter, Histogram, type Registry } from 'prom-client';
import { BatchedChildren, type BatchedCounter } from './batched-counter.js';
import { type BatchedHistogram, BatchedHistograms } from './batched-histogram.js';

const HANDLING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gRPC server metrics of go-grpc-middleware (grpc-ecosystem), same names
 * and labels, so existing dashboards and alerts work unchanged. The
 * children count in plain numbers, handed over when scraped (see
 * BatchedCounter, BatchedHistogram): a call costs no label hashing.
 */
export class GrpcMetrics {
  private readonly handlingChildren = new BatchedHistograms(HANDLING_BUCKETS);
  private readonly methods = new Map<string, MethodMetrics>();
  private readonly startedChildren = new BatchedChildren();
  private readonly handledChildren = new BatchedChildren();
  private readonly receivedChildren = new BatchedChildren();
  private readonly sentChildren = new BatchedChildren();

  constructor(registry: Registry) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'];
    const flushing = (children: BatchedChildren) =>
      function (this: Counter<string>) {
        children.collect(this);
      };
    new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames,
      collect: flushing(this.startedChildren),
      registers: [registry],
    });
    new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
      collect: flushing(this.handledChildren),
      registers: [registry],
    });
    const handlingChildren = this.handlingChildren;
    new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames,
      buckets: HANDLING_BUCKETS,
      collect() {
        handlingChildren.collect(this);
      },
      registers: [registry],
    });
    new Counter({
      name: 'grpc_server_msg_received_total',
      help: 'Total number of RPC stream messages received on the server.',
      labelNames,
      collect: flushing(this.receivedChildren),
      registers: [registry],
    });
    new Counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames,
      collect: flushing(this.sentChildren),
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
        this.startedChildren.child(labels),
        this.handlingChildren.child(labels),
        this.receivedChildren.child(labels),
        this.sentChildren.child(labels),
        (code) => this.handledChildren.child({ ...labels, grpc_code: code }),
        service,
        method,
      );
      this.methods.set(path, m);
    }
    return m;
  }
}

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

type CounterChild = BatchedCounter;
type HistogramChild = BatchedHistogram;

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
