import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { EventIngest, EventInput } from './event-ingest.js';

/** What another service tells the recorder happened. */
export type RecordedEvent = Omit<EventInput, 'properties' | 'occurTime'> & {
  readonly occurTime?: Date;
  readonly properties?: Record<string, unknown>;
};

const FLUSH_AT = 500;
const FLUSH_AFTER_MS = 1_000;

/**
 * Fire-and-forget analytics for other use cases: call `record` AFTER the
 * caller's own write committed (an enrollment, a lesson completion, a post).
 * It never throws and never waits on MongoDB: events are buffered and
 * written in batches (every second, or at 500), failures are logged and
 * counted in `campus_analytics_recorder_events_total{outcome}`, and the
 * caller's request never fails because of analytics.
 */
export class EventRecorder {
  private buffer: EventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly ingest: EventIngest,
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.outcomes = new Counter({
      name: 'campus_analytics_recorder_events_total',
      help: 'Events handed to the internal analytics recorder, by outcome (recorded, rejected, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Queues one event; returns at once. */
  record(event: RecordedEvent): void {
    try {
      this.buffer.push({ ...event, occurTime: event.occurTime ?? new Date(), properties: event.properties ?? {} });
      if (this.buffer.length >= FLUSH_AT) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS).unref();
    } catch (err) {
      this.outcomes.inc({ outcome: 'failed' });
      this.log.warn({ err }, 'analytics event not queued');
    }
  }

  /** Writes what is queued now; resolves when every write started so far has ended. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.pending);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    const write = this.ingest
      .record(batch)
      .then(({ acceptedCount, rejections }) => {
        this.outcomes.inc({ outcome: 'recorded' }, acceptedCount);
        if (rejections.length > 0) {
          this.outcomes.inc({ outcome: 'rejected' }, rejections.length);
          this.log.warn({ rejections: rejections.slice(0, 5), count: rejections.length }, 'analytics events rejected');
        }
      })
      .catch((err: unknown) => {
        this.outcomes.inc({ outcome: 'failed' }, batch.length);
        this.log.warn({ err, count: batch.length }, 'analytics events lost');
      })
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }
}
