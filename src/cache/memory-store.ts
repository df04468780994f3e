import type { CacheStore, Counter } from './cache-store.js';

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/** In-process stand-in for Redis: same TTL semantics, bounded size. */
export class MemoryStore implements CacheStore {
  readonly backend = 'memory';
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  async get(key: string): Promise<string | null> {
    return this.read(key);
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.read(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Map iteration order is insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async del(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
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

  async close(): Promise<void> {
    this.entries.clear();
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
