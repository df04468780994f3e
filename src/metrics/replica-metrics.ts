import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadCounter, ReadReason } from '../db/replicas/read-router.js';
import type { ReplicaState } from '../db/replicas/replica-monitor.js';

/**
 * - `db_replica_lag_seconds{replica}`: how far each read replica is behind
 *   the primary, as of its last probe;
 * - `db_replica_in_rotation{replica}`: 1 while it serves reads, else 0;
 * - `db_reads_total{target,reason}`: calls whose reads went to the primary
 *   or a replica, and why (see ReadReason). Calls that must not lag are not
 *   counted: they always read the primary.
 * Labels are bounded: `replica` is a configured `host:port/database`.
 */
export function replicaMetrics(registry: Registry, states: () => readonly ReplicaState[]): ReadCounter {
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each PostgreSQL read replica is behind the primary, as of its last probe.',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      for (const state of states()) this.set({ replica: state.name }, state.lagMs / 1000);
    },
  });
  new Gauge({
    name: 'db_replica_in_rotation',
    help: '1 while a PostgreSQL read replica serves reads, 0 while its reads go to the primary.',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      for (const state of states()) this.set({ replica: state.name }, state.inRotation ? 1 : 0);
    },
  });
  const reads = new Counter({
    name: 'db_reads_total',
    help: 'Calls whose reads may lag, by the server they read (primary or replica) and why.',
    labelNames: ['target', 'reason'],
    registers: [registry],
  });
  return { count: (target: 'primary' | 'replica', reason: ReadReason) => reads.inc({ target, reason }) };
}
