import { type CacheStore, type ConditionalSet, type Counter, newGenerationToken, type VersionedRead } from './cache-store.js';
import { LocalInvalidationFeed } from './invalidation-feed.js';

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * In-process stand-in for Redis: same TTL and generation semantics, bounded
 * size. Each operation runs to completion without yielding, which makes the
 * conditional set as atomic here as the Lua script makes it on Redis.
 */
export class MemoryStore implements CacheStore {
  readonly backend = 'memory';
  private feed: LocalInvalidationFeed | undefined;
  private readonly entries = new Map<string, Entry>();
  /**
   * Generations apart from values: evicting a generation early could let a
   * load that began before an invalidation write back. They expire on their
   * own; expired ones are swept when there are many.
   */
  private readonly generations = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  async get(key: string): Promise<string | null> {
    return this.read(key);
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.read(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.write(key, value, ttlMs);
  }

  async del(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async readVersioned(keys: readonly string[]): Promise<VersionedRead[]> {
    return keys.map((key) => ({ value: this.read(key), token: this.generation(key) }));
  }

  async setIfUnchanged(entries: readonly ConditionalSet[]): Promise<boolean[]> {
    return entries.map(({ key, value, ttlMs, token }) => {
      if (this.generation(key) !== token) return false;
      this.write(key, value, ttlMs);
      return true;
    });
  }

  async invalidate(keys: readonly string[], generationTtlMs: number): Promise<void> {
    for (const key of keys) {
      if (this.generations.size >= this.maxEntries) this.sweepGenerations();
      this.generations.set(key, { value: newGenerationToken(), expiresAt: Date.now() + generationTtlMs });
      this.entries.delete(key);
    }
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) !== null) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) !== expected) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async incrWithTtl(key: string, ttlMs: number, by = 1): Promise<Counter> {
    const now = Date.now();
    const current = this.read(key);
    const expiresAt = current === null ? now + ttlMs : (this.entries.get(key)?.expiresAt ?? now + ttlMs);
    const value = (current === null ? 0 : Number(current)) + by;
    this.entries.delete(key);
    this.entries.set(key, { value: String(value), expiresAt });
    return { value, ttlMs: expiresAt - now };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Everyone on this store is in this process: invalidations are delivered as they are made. */
  invalidationFeed(): LocalInvalidationFeed {
    this.feed ??= new LocalInvalidationFeed();
    return this.feed;
  }

  onReady(): void {
    // Never unavailable.
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.generations.clear();
  }

  private generation(key: string): string {
    const entry = this.generations.get(key);
    if (entry === undefined) return '';
    if (entry.expiresAt <= Date.now()) {
      this.generations.delete(key);
      return '';
    }
    return entry.value;
  }

  private sweepGenerations(): void {
    const now = Date.now();
    for (const [key, entry] of this.generations) if (entry.expiresAt <= now) this.generations.delete(key);
  }

  private write(key: string, value: string, ttlMs: number): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Map iteration order is insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }
}
