/**
 * How one cached value is stored: `<kind><expiresAt base36>:<loadMs>:<payload>`,
 * kind `v` (a value) or `n` (NOT_FOUND). The expiry and the load duration
 * travel with the value so that readers can refresh early (XFetch) without
 * asking Redis for the TTL.
 */
export type CacheEntry =
  | { readonly found: true; readonly payload: string; readonly expiresAt: number; readonly loadMs: number }
  | { readonly found: false; readonly expiresAt: number; readonly loadMs: number };

export function encodeEntry(entry: CacheEntry): string {
  const head = `${entry.expiresAt.toString(36)}:${Math.max(0, Math.round(entry.loadMs))}:`;
  return entry.found ? `v${head}${entry.payload}` : `n${head}`;
}

/** The entry, or undefined for anything this version cannot read (treated as a miss). */
export function decodeEntry(raw: string): CacheEntry | undefined {
  const kind = raw[0];
  const first = raw.indexOf(':');
  const second = raw.indexOf(':', first + 1);
  if ((kind !== 'v' && kind !== 'n') || first < 0 || second < 0) return undefined;
  const expiresAt = Number.parseInt(raw.slice(1, first), 36);
  const loadMs = Number(raw.slice(first + 1, second));
  if (!Number.isFinite(expiresAt) || !Number.isFinite(loadMs)) return undefined;
  return kind === 'v' ? { found: true, payload: raw.slice(second + 1), expiresAt, loadMs } : { found: false, expiresAt, loadMs };
}

/**
 * XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede Prevention"):
 * refresh before expiry with a probability that rises as expiry nears, scaled
 * by how long a load takes, so one reader reloads a hot key while the others
 * still hit.
 */
export function shouldRefreshEarly(entry: CacheEntry, now: number, beta: number, random: () => number = Math.random): boolean {
  if (beta <= 0 || entry.loadMs <= 0) return now >= entry.expiresAt;
  return now - entry.loadMs * beta * Math.log(random()) >= entry.expiresAt;
}

/** `ttlMs` spread by ±`jitter` (a fraction), so keys written together do not expire together. */
export function jittered(ttlMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * random() - 1))));
}
