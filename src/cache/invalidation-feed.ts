/**
 * Invalidations pushed to every replica, so that a near cache may keep an
 * entry past the cross-replica bound (`boundMs`, CACHE_NEAR_TTL_MS) for as
 * long as the feed proves it would have heard of any write to it.
 *
 * The contract a near cache relies on:
 * - `publish` returns once the keys are on their way to every subscriber
 *   (after the store has dropped them), or throws (the caller replays).
 * - `sessionFor(since)` is the feed's current session when a read that began
 *   at `since` (performance.now()) cannot have missed an invalidation
 *   published before it, else undefined: the entry then lives `boundMs` only.
 * - `confirms(session, now)` holds while, in that same session, every
 *   invalidation published before `now - boundMs` (Date.now()) is known to
 *   have been delivered. A new session (the feed reconnected: messages may
 *   have been lost in between) never confirms an older one.
 */
export interface InvalidationFeed {
  publish(keys: readonly string[]): Promise<void>;
  sessionFor(since: number): number | undefined;
  confirms(session: number, now: number): boolean;
  /** Calls `listener` with the keys every other replica invalidates. */
  onInvalidated(listener: (keys: readonly string[]) => void): void;
  close(): void;
}

/** A process alone with its store (the in-process MemoryStore): every invalidation is delivered at once. */
export class LocalInvalidationFeed implements InvalidationFeed {
  private readonly listeners: ((keys: readonly string[]) => void)[] = [];

  async publish(keys: readonly string[]): Promise<void> {
    for (const listener of this.listeners) listener(keys);
  }

  sessionFor(): number {
    return 1;
  }

  confirms(session: number): boolean {
    return session === 1;
  }

  onInvalidated(listener: (keys: readonly string[]) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.listeners.length = 0;
  }
}
