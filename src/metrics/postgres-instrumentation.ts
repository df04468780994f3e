import type { MikroORM } from '@mikro-orm/core';
import type { DbMetrics } from './db-metrics.js';
import { sqlLabels } from './sql-statement.js';

interface PgClient {
  query: (...args: unknown[]) => unknown;
}

interface PgPool {
  on(event: 'acquire', listener: (client: PgClient) => void): void;
  off(event: 'acquire', listener: (client: PgClient) => void): void;
}

const instrumented = new WeakMap<PgClient, Set<DbMetrics>>();

/**
 * Times every statement the ORM sends through its `pg` pool, BEGIN and
 * COMMIT included, with sub-millisecond resolution. (MikroORM's query logger
 * reports whole milliseconds and no duration for BEGIN/COMMIT, hence the
 * pool.) Each client is wrapped once, on its first checkout. Returns a
 * function that stops recording into `metrics`.
 */
export async function instrumentPostgres(orm: MikroORM, metrics: DbMetrics): Promise<() => void> {
  const pool = (await orm.em.getConnection().getNativeClient()) as unknown as PgPool;
  const onAcquire = (client: PgClient) => {
    let sinks = instrumented.get(client);
    if (sinks === undefined) {
      sinks = new Set();
      instrumented.set(client, sinks);
      wrap(client, sinks);
    }
    sinks.add(metrics);
  };
  pool.on('acquire', onAcquire);
  return () => pool.off('acquire', onAcquire);
}

function wrap(client: PgClient, sinks: Set<DbMetrics>): void {
  const query = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const sql =
      typeof first === 'string'
        ? first
        : typeof (first as { text?: unknown })?.text === 'string'
          ? (first as { text: string }).text
          : undefined;
    const startedAt = performance.now();
    const result = query.apply(this, args);
    // Cursors and callbacks are passed through untimed; the ORM awaits promises.
    if (sql !== undefined && sinks.size > 0 && result instanceof Promise) {
      const done = () => {
        const seconds = (performance.now() - startedAt) / 1000;
        const { operation, table } = sqlLabels(sql);
        for (const sink of sinks) sink.observe('postgresql', operation, table, seconds);
      };
      result.then(done, done);
    }
    return result;
  };
}
