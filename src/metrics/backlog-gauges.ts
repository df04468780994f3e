import type { EntityManager } from '@mikro-orm/core';
import { Gauge, type Registry } from 'prom-client';
import { rawQuery } from '../db/raw-query.js';

interface GaugeName {
  readonly name: string;
  readonly help: string;
}

/**
 * Two gauges of work waiting in a PostgreSQL table: how many rows, and how
 * old the oldest is in seconds (0 when none). Set by the job that works the
 * backlog, after each run, never per scrape.
 */
export class BacklogGauges {
  private readonly count: Gauge;
  private readonly age: Gauge;

  constructor(
    registry: Registry,
    count: GaugeName,
    age: GaugeName,
    /** Rows waiting: a table and condition, e.g. `payment_attempts where status = 'open'`. */
    private readonly from: string,
  ) {
    this.count = new Gauge({ ...count, registers: [registry] });
    this.age = new Gauge({ ...age, registers: [registry] });
  }

  async measure(em: EntityManager): Promise<void> {
    const [stats] = await rawQuery<{ n: number; oldest: Date | null }>(
      em.fork(),
      `select count(*)::int as n, min(create_time) as oldest from ${this.from}`,
      [],
    );
    this.count.set(stats?.n ?? 0);
    this.age.set(stats?.oldest ? Math.max(0, (Date.now() - new Date(stats.oldest).getTime()) / 1000) : 0);
  }
}
