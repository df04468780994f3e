/** Bucket i holds latencies up to GROWTH^i µs: about 1 % resolution from 1 µs to 60 s. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(60e6) / LOG_GROWTH) + 1;

/** A log-bucketed latency histogram: cheap to record, mergeable across processes. */
export class LatencyHistogram {
  private constructor(private readonly counts: number[]) {}

  static empty(): LatencyHistogram {
    return new LatencyHistogram(new Array<number>(BUCKETS).fill(0));
  }

  static fromCounts(counts: readonly number[]): LatencyHistogram {
    if (counts.length !== BUCKETS) throw new Error(`histogram of ${counts.length} buckets, expected ${BUCKETS}`);
    return new LatencyHistogram([...counts]);
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const i = Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_GROWTH));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  merge(other: LatencyHistogram): void {
    other.counts.forEach((c, i) => {
      this.counts[i] = (this.counts[i] ?? 0) + c;
    });
  }

  /** The latency in ms that `p` (0..1) of the recorded calls did not exceed; NaN when empty. */
  percentile(p: number): number {
    const total = this.total;
    if (total === 0) return Number.NaN;
    const target = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= target) return GROWTH ** i / 1000;
    }
    return GROWTH ** (BUCKETS - 1) / 1000;
  }

  toCounts(): number[] {
    return [...this.counts];
  }
}
