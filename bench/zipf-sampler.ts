/** Coprime with any item count that is not a multiple of it; spreads ranks over the index space. */
const SCATTER = 1_000_003;

/**
 * Draws item indices in [0, n) where the item of rank r (r = 1 the hottest) is
 * drawn with probability proportional to 1 / r^s. Ranks are scattered over the
 * indices (rank r is index (r - 1) * SCATTER mod n), so the hot items are not
 * the first rows inserted and do not share index pages.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`zipf over ${n} items`);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) {
    sum += 1 / r ** s;
    cdf[r - 1] = sum;
  }
  const scatter = n % SCATTER === 0 ? 1 : SCATTER;
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return (lo * scatter) % n;
  };
}
