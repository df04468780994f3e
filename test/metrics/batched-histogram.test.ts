import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchedHistograms } from '../../src/metrics/batched-histogram.js';

const BUCKETS = [0.25, 0.5, 1, 2];
// Binary fractions: every sum is exact whatever the order of additions.
const VALUES = [0.125, 0.25, 0.375, 0.5, 0.75, 1, 1.5, 2, 4, 0.125];

function plain(registry: Registry): Histogram<string> {
  return new Histogram({ name: 'probe_seconds', help: 'probe', labelNames: ['method'], buckets: BUCKETS, registers: [registry] });
}

function batched(registry: Registry): { histograms: BatchedHistograms } {
  const histograms = new BatchedHistograms(BUCKETS);
  new Histogram({
    name: 'probe_seconds',
    help: 'probe',
    labelNames: ['method'],
    buckets: BUCKETS,
    collect() {
      histograms.collect(this);
    },
    registers: [registry],
  });
  return { histograms };
}

describe('batched histogram', () => {
  it('when observations are batched, then every scrape reads what prom-client itself would hold', async () => {
    const expected = new Registry();
    const reference = plain(expected);
    const actual = new Registry();
    const { histograms } = batched(actual);
    const a = histograms.child({ method: 'A' });
    const b = histograms.child({ method: 'B' });

    for (const [i, value] of VALUES.entries()) {
      reference.observe({ method: 'A' }, value);
      a.observe(value);
      if (i % 3 === 0) {
        reference.observe({ method: 'B' }, value * 2);
        b.observe(value * 2);
      }
      // Scrapes in between: what was flushed is not counted twice.
      if (i === 4) expect(await actual.metrics()).toBe(await expected.metrics());
    }
    expect(await actual.metrics()).toBe(await expected.metrics());
    expect(await actual.metrics()).toBe(await expected.metrics());
  });

  it('when nothing was observed, then no series is exported', async () => {
    const registry = new Registry();
    batched(registry).histograms.child({ method: 'A' });
    expect(await registry.metrics()).not.toContain('method="A"');
  });
});
