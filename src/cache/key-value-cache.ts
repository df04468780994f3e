import type { CacheRecorder } from '../metrics/cache-metrics.js';
import type { CacheCore } from './cache-core.js';

/**
 * Plain get / set-with-TTL / del under `v<version>:<name>:` — for values the
 * caller writes through itself (sessions over their PostgreSQL record).
 * Fail-soft like the rest of the layer: a failed get is a miss (null), a
 * failed set is dropped; a failed del is remembered and replayed when the
 * store is back, and until then `get` of that key answers null, so a deleted
 * (revoked) value is never served by this process.
 */
export class KeyValueCache {
  private readonly prefix: string;
  private readonly recorder: CacheRecorder;

  constructor(
    private readonly cache: CacheCore,
    readonly name: string,
    version: number,
  ) {
    this.prefix = `v${version}:${name}:`;
    this.recorder = cache.recorder(name);
  }

  async get(key: string): Promise<string | null> {
    const fullKey = this.prefix + key;
    if (this.cache.isPending(fullKey)) {
      this.recorder.misses(1);
      return null;
    }
    const value = (await this.cache.attempt(this.recorder, this.name, 'get', () => this.cache.store.get(fullKey))) ?? null;
    if (value === null) this.recorder.misses(1);
    else this.recorder.hits(1);
    return value;
  }

  /** Writes with a TTL (required: nothing of ours lives forever); true when stored. */
  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    const stored = await this.cache.attempt(this.recorder, this.name, 'set', async () => {
      await this.cache.store.set(this.prefix + key, value, ttlMs);
      return true;
    });
    if (stored) this.recorder.sets(1);
    return stored === true;
  }

  /** Writes only when the key holds nothing; true when this call wrote it. False, too, when the store failed. */
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    const fullKey = this.prefix + key;
    if (this.cache.isPending(fullKey)) return false;
    const stored = await this.cache.attempt(this.recorder, this.name, 'set', () => this.cache.store.setIfAbsent(fullKey, value, ttlMs));
    if (stored) this.recorder.sets(1);
    return stored === true;
  }

  async del(keys: readonly string[]): Promise<void> {
    await this.cache.invalidateKeys(
      this.recorder,
      this.name,
      keys.map((key) => this.prefix + key),
    );
  }
}
