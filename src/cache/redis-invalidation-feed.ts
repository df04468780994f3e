import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { InvalidationFeed } from './invalidation-feed.js';

export interface RedisFeedSettings {
  /** The store's key prefix: replicas on one prefix share one channel. */
  readonly keyPrefix: string;
  /** CACHE_NEAR_TTL_MS: how stale an entry may be when the feed cannot vouch for it. */
  readonly boundMs: number;
  /** A new subscriber connection (one server: to it; a cluster: to one of its nodes, any of them hears every PUBLISH). */
  readonly subscriber: () => Redis | undefined;
}

/**
 * The invalidation feed over Redis pub/sub: after an invalidation has moved
 * the generations of its keys, the keys are PUBLISHed on
 * `<prefix>cache:invalidated`; every replica SUBSCRIBEs there on a
 * connection of its own and drops what it holds of them.
 *
 * Pub/sub loses what is published while a subscriber is away, so the feed
 * proves itself continuously: every `boundMs / 4` it publishes a heartbeat on
 * a channel of its own (from the command connection) and counts it back on
 * the subscriber. Redis delivers to one connection in the order it ran the
 * PUBLISHes, so a heartbeat sent at `s` that came back means every
 * invalidation published before it was delivered; an entry is kept past
 * `boundMs` only while the last heartbeat back was sent less than `boundMs`
 * ago, in the same subscription session. A lost connection ends the session
 * (entries of the old one fall back to `boundMs`); the next one starts with
 * its first heartbeat back. On a cluster the ordering holds per node and a
 * PUBLISH reaches the other nodes over the cluster bus, which adds its
 * latency (milliseconds) to the delivery, well inside the bound.
 */
export class RedisInvalidationFeed implements InvalidationFeed {
  private readonly channel: string;
  private readonly heartbeatChannel: string;
  private readonly replica = randomBytes(6).toString('base64url');
  private readonly listeners: ((keys: readonly string[]) => void)[] = [];
  private readonly intervalMs: number;
  private sub: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** Bumped whenever the subscription may have missed a message. */
  private session = 0;
  private up = false;
  /** performance.now() at which the heartbeat that opened this session was sent. */
  private openedAt = Number.POSITIVE_INFINITY;
  /** Date.now() at which the latest heartbeat back was sent. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private sequence = 0;
  /** Heartbeats in flight of the current session: sequence -> [Date.now(), performance.now()] at send. */
  private readonly inFlight = new Map<number, readonly [number, number]>();

  constructor(
    private readonly client: Redis | Cluster,
    private readonly settings: RedisFeedSettings,
  ) {
    this.channel = `${settings.keyPrefix}cache:invalidated`;
    this.heartbeatChannel = `${settings.keyPrefix}cache:heartbeat:${this.replica}`;
    this.intervalMs = Math.max(10, Math.min(1_000, Math.floor(settings.boundMs / 4)));
  }

  /** Subscribes (and keeps resubscribing); never throws. */
  start(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
    this.subscribe();
  }

  async publish(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.client.publish(this.channel, JSON.stringify({ from: this.replica, keys }));
  }

  sessionFor(since: number): number | undefined {
    return this.up && since >= this.openedAt ? this.session : undefined;
  }

  confirms(session: number, now: number): boolean {
    return session === this.session && this.up && now - this.confirmedAt <= this.settings.boundMs;
  }

  onInvalidated(listener: (keys: readonly string[]) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.closed = true;
    this.lost();
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.sub?.disconnect();
    this.sub = undefined;
  }

  private subscribe(): void {
    if (this.closed || this.sub !== undefined) return;
    const sub = this.settings.subscriber();
    if (sub === undefined) {
      this.retryLater();
      return;
    }
    this.sub = sub;
    sub.on('error', () => undefined);
    sub.on('message', (channel: string, message: string) => this.received(channel, message));
    sub.on('ready', () => {
      sub.subscribe(this.channel, this.heartbeatChannel).catch(() => sub.disconnect());
    });
    // Whatever was published while away is lost: a new session, which the next heartbeat back opens.
    sub.on('close', () => this.lost());
    sub.on('end', () => {
      if (this.sub === sub) this.sub = undefined;
      this.retryLater();
    });
    sub.connect().catch(() => undefined);
  }

  private retryLater(): void {
    if (this.closed || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.subscribe();
    }, 200);
    this.retry.unref();
  }

  private lost(): void {
    this.up = false;
    this.session++;
    this.openedAt = Number.POSITIVE_INFINITY;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    this.inFlight.clear();
  }

  private beat(): void {
    if (this.sub?.status !== 'ready') return;
    const sequence = ++this.sequence;
    this.inFlight.set(sequence, [Date.now(), performance.now()]);
    // Heartbeats that never come back are forgotten with their session; a few in flight at most otherwise.
    if (this.inFlight.size > 64) this.inFlight.delete(this.inFlight.keys().next().value as number);
    this.client.publish(this.heartbeatChannel, `${this.session}:${sequence}`).catch(() => undefined);
  }

  private received(channel: string, message: string): void {
    if (channel === this.heartbeatChannel) {
      const [session, sequence] = message.split(':').map(Number);
      const sent = this.inFlight.get(sequence as number);
      if (session !== this.session || sent === undefined) return;
      this.inFlight.delete(sequence as number);
      if (!this.up) {
        this.up = true;
        this.openedAt = sent[1];
      }
      if (sent[0] > this.confirmedAt) this.confirmedAt = sent[0];
      return;
    }
    let parsed: { from?: unknown; keys?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.from === this.replica || !Array.isArray(parsed.keys)) return;
    const keys = parsed.keys.filter((key): key is string => typeof key === 'string');
    for (const listener of this.listeners) listener(keys);
  }
}
