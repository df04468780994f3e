import type { EntityManager } from '@mikro-orm/core';
import { Counter, type Registry } from 'prom-client';
import { rawQuery } from '../db/raw-query.js';
import type { Logger } from '../logger.js';
import { BacklogGauges } from '../metrics/backlog-gauges.js';
import { type Settlement, settleAttempt } from './payment-attempts.js';
import type { PaymentProvider } from './payment-provider.js';

export interface PaymentReconcilerSettings {
  /** An attempt is settled only once this old, so that an Enroll still running keeps it. */
  readonly afterMs: number;
}

const BATCH = 100;

/**
 * Settles payment attempts left open: an Enroll whose process died after
 * the charge, whose COMMIT failed or whose outcome was unknown, and whose
 * own settling failed. Each attempt is completed when its payment committed
 * and refunded through the provider otherwise (see settleAttempt). Every run
 * sets `payment_attempts_open` (all open attempts) and
 * `payment_attempt_oldest_open_age_seconds`; settlements are counted in
 * `payment_attempts_settled_total{outcome}`. Safe on several replicas at
 * once: each attempt is settled under its row lock, skipped by the others.
 */
export class PaymentReconciler {
  private readonly backlog: BacklogGauges;
  private readonly settled: Counter<'outcome'>;

  constructor(
    private readonly em: EntityManager,
    private readonly provider: PaymentProvider,
    private readonly settings: PaymentReconcilerSettings,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.backlog = new BacklogGauges(
      registry,
      {
        name: 'payment_attempts_open',
        help: 'Payment attempts not yet settled (completed, refunded or failed), as of the last reconciler run.',
      },
      {
        name: 'payment_attempt_oldest_open_age_seconds',
        help: 'Age of the oldest open payment attempt at the last reconciler run; 0 when none is open.',
      },
      `payment_attempts where status = 'open'`,
    );
    this.settled = new Counter({
      name: 'payment_attempts_settled_total',
      help: 'Open payment attempts the reconciler settled, by outcome (completed, refunded, failed, error).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** One run: settles the open attempts older than `afterMs` at `now`, oldest first, then updates the gauges. */
  async run(now = new Date()): Promise<Record<Settlement | 'error', number>> {
    const outcomes = { completed: 0, refunded: 0, failed: 0, skipped: 0, error: 0 };
    const em = this.em.fork();
    const due = await rawQuery<{ id: string }>(
      em,
      `select id from payment_attempts where status = 'open' and create_time < ? order by create_time limit ${BATCH}`,
      [new Date(now.getTime() - this.settings.afterMs)],
    );
    for (const { id } of due) {
      try {
        const outcome = await settleAttempt(em, this.provider, id, now);
        outcomes[outcome] += 1;
        if (outcome !== 'skipped') this.settled.inc({ outcome });
        if (outcome === 'refunded') this.log.warn({ paymentAttemptId: id }, 'charge without a committed payment refunded');
      } catch (err) {
        outcomes.error += 1;
        this.settled.inc({ outcome: 'error' });
        this.log.error({ err, paymentAttemptId: id }, 'payment attempt could not be settled; retried next run');
      }
    }
    await this.backlog.measure(em);
    return outcomes;
  }
}
