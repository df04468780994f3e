import type { InvalidationFeed } from './invalidation-feed.js';

/**
 * A small in-process tier in front of the shared store, for the hottest keys.
 * A read served from here costs no network round trip and no decoding: it
 * keeps the decoded value, shared by every reader (read-only to them).
 *
 * What it may serve, and for how long:
 * - this process's own invalidations drop entries at once, and a read that
 *   was in flight when its key was invalidated never fills it;
 * - another replica's write reaches this process after at most `ttlMs`, the
 *   bound on cross-replica staleness: an entry lives that long, or, with an
 *   invalidation feed (see InvalidationFeed), up to `pushedTtlMs` while the
 *   feed vouches that it would have delivered any invalidation of it older
 *   than `ttlMs`; when it cannot (the push channel is down), `ttlMs` again.
 */
export class NearCache<V> {
  private readonly entries = new Map<string, NearEntry<V>>();
  /** When each recently invalidated id was invalidated (performance.now()). */
  private readonly invalidatedAt = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly pushedTtlMs = 0,
    private readonly feed?: InvalidationFeed,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.maxEntries > 0;
  }

  /** A mark to pass to `fill` for reads that start now. */
  mark(): number {
    return performance.now();
  }

  /** The cached value (`null` = NOT_FOUND), or undefined when absent or expired (`now` is Date.now()). */
  read(id: string, now: number): V | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.boundAt > now || (entry.expiresAt > now && entry.session >= 0 && this.feed?.confirms(entry.session, now))) {
      entry.read = true;
      return entry.value;
    }
    this.entries.delete(id);
    return undefined;
  }

  /**
   * Keeps `value` for at most `ttlMs` (or `pushedTtlMs`, see the class; never
   * past `expiresAt`), unless the id was invalidated after the read that
   * produced it began (`since`).
   */
  fill(id: string, value: V | null, since: number, now: number, expiresAt = Number.POSITIVE_INFINITY): void {
    const invalidated = this.invalidatedAt.get(id);
    if (invalidated !== undefined && invalidated >= since) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(id)) this.evictOne();
    const session = this.pushedTtlMs > this.ttlMs ? this.feed?.sessionFor(since) : undefined;
    this.entries.delete(id);
    this.entries.set(id, {
      value,
      boundAt: Math.min(expiresAt, now + this.ttlMs),
      expiresAt: session === undefined ? 0 : Math.min(expiresAt, now + this.pushedTtlMs),
      session: session ?? -1,
      read: false,
    });
  }

  /**
   * Second chance (CLOCK): Map order is insertion order, and the oldest entry
   * goes unless it was read since it was filled or last spared, in which case
   * it moves to the back unread. Under skewed reads the hot keys stay, which
   * plain oldest-first eviction keeps refilling (a third more near misses for
   * Zipf reads over ten times the capacity). A full lap clears every mark, so
   * this ends within `maxEntries + 1` steps.
   */
  private evictOne(): void {
    for (const [id, entry] of this.entries) {
      this.entries.delete(id);
      if (!entry.read) return;
      entry.read = false;
      this.entries.set(id, entry);
    }
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

interface NearEntry<V> {
  /** The decoded value; null for a cached NOT_FOUND. */
  readonly value: V | null;
  /** Until when it may be served whatever the feed says (Date.now()). */
  readonly boundAt: number;
  /** Until when it may be served while the feed confirms `session`. */
  readonly expiresAt: number;
  /** The feed session it was filled in; -1: none. */
  readonly session: number;
  /** Read since it was filled or last spared by eviction. */
  read: boolean;
}
