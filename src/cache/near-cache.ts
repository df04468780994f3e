/**
 * A small in-process tier in front of the shared store, for the hottest keys.
 * A read served from here costs no network round trip at all, which is what
 * brings a cached Get close to the transport's own cost.
 *
 * What it may serve, and for how long:
 * - this process's own invalidations drop entries at once, and a read that
 *   was in flight when its key was invalidated never fills it;
 * - another replica's write reaches this process after at most `ttlMs`
 *   (entries live that long at most), the bound on cross-replica staleness.
 */
export class NearCache {
  private readonly entries = new Map<string, NearEntry>();
  /** When each recently invalidated id was invalidated (performance.now()). */
  private readonly invalidatedAt = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.maxEntries > 0;
  }

  /** A mark to pass to `fill` for reads that start now. */
  mark(): number {
    return performance.now();
  }

  /** The cached payload (`null` = NOT_FOUND), or undefined when absent or expired. */
  read(id: string, now: number): string | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  /**
   * Keeps `payload` for at most `ttlMs` (never past `expiresAt`), unless the id
   * was invalidated after the read that produced it began (`since`).
   */
  fill(id: string, payload: string | null, since: number, now: number, expiresAt = Number.POSITIVE_INFINITY): void {
    const invalidated = this.invalidatedAt.get(id);
    if (invalidated !== undefined && invalidated >= since) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(id)) {
      // Map order is insertion order: the oldest fill goes first.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(id);
    this.entries.set(id, { payload, expiresAt: Math.min(expiresAt, now + this.ttlMs) });
  }

  invalidate(ids: readonly string[]): void {
    const at = performance.now();
    for (const id of ids) {
      this.entries.delete(id);
      this.invalidatedAt.set(id, at);
    }
    if (this.invalidatedAt.size > 4 * this.maxEntries) this.forgetOldInvalidations(at);
  }

  /** Invalidation marks matter only to reads still in flight; those older than a minute are never cached anyway. */
  private forgetOldInvalidations(now: number): void {
    for (const [id, at] of this.invalidatedAt) if (now - at > 60_000) this.invalidatedAt.delete(id);
  }
}

interface NearEntry {
  /** Encoded value; null for a cached NOT_FOUND. */
  readonly payload: string | null;
  readonly expiresAt: number;
}
