import { Histogram, type Registry } from 'prom-client';
import { type BatchedHistogram, BatchedHistograms } from './batched-histogram.js';

export type DbSystem = 'postgresql' | 'mongodb';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `db_client_operation_duration_seconds{db_system,operation,collection}` for
 * every PostgreSQL statement and MongoDB command. Labels are bounded: the
 * operation is a keyword or command name, the collection a table or
 * collection name, never an id.
 */
export class DbMetrics {
  /** Counted in plain numbers, handed to the histogram when it is read (see BatchedHistogram). */
  private readonly batched = new BatchedHistograms(BUCKETS);
  private readonly children = new Map<string, BatchedHistogram>();

  constructor(registry: Registry) {
    const batched = this.batched;
    new Histogram({
      name: 'db_client_operation_duration_seconds',
      help: 'Duration of database client operations (one SQL statement or one MongoDB command), failed ones included.',
      labelNames: ['db_system', 'operation', 'collection'],
      buckets: BUCKETS,
      collect() {
        batched.collect(this);
      },
      registers: [registry],
    });
  }

  observe(system: DbSystem, operation: string, collection: string, seconds: number): void {
    const key = `${system}\u0000${operation}\u0000${collection}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.batched.child({ db_system: system, operation, collection });
      this.children.set(key, child);
    }
    child.observe(seconds);
  }
}
