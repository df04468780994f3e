import { createHash, randomUUID } from 'node:crypto';
import type { CacheStore, Counter } from '../cache/cache-store.js';
import { MemoryStore } from '../cache/memory-store.js';
import { resourceExhausted } from '../errors/domain-error.js';
import type { Logger } from '../logger.js';

export interface LoginThrottleSettings {
  readonly maxPerEmail: number;
  readonly maxPerPeer: number;
  readonly windowMs: number;
  /**
   * How long a login keeps retrying the shared counters when they fail (a
   * Redis Cluster master failing over) before counting in process; 0 for no
   * retry (one server: an outage is not over in seconds).
   */
  readonly sharedRetryMs?: number;
}

const RETRY_EVERY_MS = 100;

/** One login attempt that has been counted. */
export interface LoginAttempt {
  /** The password was right: the attempt stops counting as a failure. */
  succeeded(): Promise<void>;
}

/**
 * Limits failed logins per email and per peer address in a fixed window
 * (counters with a TTL in the shared cache, so every replica counts
 * together). An attempt is counted before the password is checked, so
 * concurrent guesses cannot slip past the limit, and un-counted when it
 * succeeds. A counted failure waits for a replica of its key's server where
 * there is one, and a failing count is retried for `sharedRetryMs`, so that a
 * Redis Cluster failover slows logins down but keeps the limits fleet-wide.
 * When the shared cache cannot be reached the counting goes on in
 * this process (limits then hold per replica) and each fallback is counted
 * in `onFallback` and logged at most once a minute.
 */
export class LoginThrottle {
  private readonly local = new MemoryStore(50_000);
  private lastWarning = 0;

  constructor(
    private readonly cache: CacheStore,
    private readonly settings: LoginThrottleSettings,
    private readonly log: Logger,
    private readonly onFallback: () => void = () => undefined,
  ) {}

  /** Counts an attempt; throws RESOURCE_EXHAUSTED (with the wait) when the email or the peer is over its limit. */
  async begin(emailKey: string, peerHost: string): Promise<LoginAttempt> {
    // The email is personal data: the key holds its hash.
    const emailCounter = `login-failures:email:${createHash('sha256').update(emailKey).digest('hex')}`;
    const peerCounter = `login-failures:peer:${peerHost}`;
    // The attempt's id makes a retried count (its reply lost in a failover) count once.
    const attempt = randomUUID();
    const [email, peer] = await Promise.all([this.incr(emailCounter, 1, attempt), this.incr(peerCounter, 1, attempt)]);
    const over = [email.value > this.settings.maxPerEmail ? email.ttlMs : 0, peer.value > this.settings.maxPerPeer ? peer.ttlMs : 0];
    if (over.some((ms) => ms > 0)) {
      throw resourceExhausted('TOO_MANY_FAILED_LOGINS', 'too many failed logins; try again later', Math.max(...over));
    }
    return {
      succeeded: async () => {
        await Promise.all([this.del(emailCounter), this.incr(peerCounter, -1, `${attempt}:undo`)]);
      },
    };
  }

  private async incr(key: string, by: number, once: string): Promise<Counter> {
    const giveUpAt = Date.now() + (this.settings.sharedRetryMs ?? 0);
    for (;;) {
      try {
        return await this.cache.incrWithTtl(key, this.settings.windowMs, by, { replicated: true, once });
      } catch (err) {
        if (Date.now() < giveUpAt) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
          continue;
        }
        this.fellBack(err);
        return this.local.incrWithTtl(key, this.settings.windowMs, by);
      }
    }
  }

  private async del(key: string): Promise<void> {
    await this.local.del([key]);
    try {
      await this.cache.del([key]);
    } catch (err) {
      this.fellBack(err);
    }
  }

  private fellBack(err: unknown): void {
    this.onFallback();
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.log.warn({ err }, 'login limits counted in-process: the shared cache is unreachable');
  }
}
