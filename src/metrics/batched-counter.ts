import type { Counter } from 'prom-client';

/**
 * A child of a prom-client Counter that counts in a plain number and hands
 * the count to the counter when it is read (scraped). prom-client's own
 * children hash their labels on every `inc`, a measurable share of a cheap
 * call; this costs an addition. Values are exact whenever they are read.
 */
export class BatchedCounter {
  private pending = 0;

  constructor(private readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.pending += by;
  }

  /** Moves the count into `counter` (from its `collect`). */
  flushInto(counter: Counter<string>): void {
    if (this.pending === 0) return;
    counter.inc(this.labels, this.pending);
    this.pending = 0;
  }
}

/** A Counter's batched children, flushed whenever the counter is read; pass `collect` to the Counter. */
export class BatchedChildren {
  private readonly children: BatchedCounter[] = [];

  child(labels: Readonly<Record<string, string>>): BatchedCounter {
    const child = new BatchedCounter(labels);
    this.children.push(child);
    return child;
  }

  /** For the Counter's `collect` option (`this` is the counter). */
  readonly collect = (counter: Counter<string>): void => {
    for (const child of this.children) child.flushInto(counter);
  };
}
