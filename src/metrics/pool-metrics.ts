import { Gauge, type Registry } from 'prom-client';
import type { NamedPool } from '../db/replicas/routed-driver.js';

/**
 * `db_client_connections{pool,state}`: each PostgreSQL pool's connections,
 * `idle` (open, free), `used` (checked out) and `pending` (calls waiting for
 * one). Pending that stays above zero means the pool is too small for the
 * load or its connections are not coming back; the alert watches for it.
 * Labels are bounded: `pool` is `primary` or a configured replica.
 */
export function poolMetrics(registry: Registry, pools: readonly NamedPool[]): void {
  new Gauge({
    name: 'db_client_connections',
    help: 'Connections of each PostgreSQL client pool, by state: idle (open, free), used (checked out), pending (waiting for one).',
    labelNames: ['pool', 'state'],
    registers: [registry],
    collect() {
      for (const { name, pool } of pools) {
        this.set({ pool: name, state: 'idle' }, pool.idleCount);
        this.set({ pool: name, state: 'used' }, pool.totalCount - pool.idleCount);
        this.set({ pool: name, state: 'pending' }, pool.waitingCount);
      }
    },
  });
  new Gauge({
    name: 'db_client_connections_max',
    help: 'The most connections each PostgreSQL client pool may open.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      for (const { name, pool } of pools) this.set({ pool: name }, pool.options.max ?? 10);
    },
  });
}
