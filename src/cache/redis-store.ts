import { Cluster, Redis } from 'ioredis';
import type { RedisClusterConfig } from '../config.js';
import {
  type CacheStore,
  type ConditionalSet,
  type Counter,
  generationKey,
  newGenerationToken,
  type VersionedRead,
  type WriteOptions,
} from './cache-store.js';
import { RedisInvalidationFeed } from './redis-invalidation-feed.js';
import { slotGroups, slotHasReplica } from './slot-groups.js';

/** How long connecting to a Redis Cluster waits for it to be ready (e.g. for a failover to end). */
const CLUSTER_READY_WAIT_MS = 10_000;

/** One server (`url`) or a Redis Cluster (`cluster`). */
export type RedisSettings = ({ readonly url: string; readonly cluster?: undefined } | { readonly cluster: RedisClusterConfig }) & {
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
};

/**
 * Sets KEYS[1] to ARGV[2] with a TTL of ARGV[3] ms only if KEYS[2] (its
 * generation) still holds ARGV[1] ('' standing for "no generation").
 */
const SET_IF_UNCHANGED = `
local g = redis.call('GET', KEYS[2])
if (g or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

type Client = Redis | Cluster;

interface Scripted {
  setIfUnchanged(key: string, generation: string, token: string, value: string, ttlMs: number): Promise<number>;
  incrWithTtl(key: string, by: number, ttlMs: number): Promise<[number, number]>;
  incrOnceWithTtl(key: string, marker: string, by: number, ttlMs: number): Promise<[number, number]>;
  compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<number>;
}

/** The pipeline methods used here, scripts included. */
interface Pipe {
  mget(...keys: string[]): Pipe;
  set(key: string, value: string, px: 'PX', ttlMs: number): Pipe;
  del(...keys: string[]): Pipe;
  wait(replicas: number, timeoutMs: number): Pipe;
  setIfUnchanged(key: string, generation: string, token: string, value: string, ttlMs: number): Pipe;
  incrWithTtl(key: string, by: number, ttlMs: number): Pipe;
  incrOnceWithTtl(key: string, marker: string, by: number, ttlMs: number): Pipe;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * Redis through ioredis, set to fail fast: no offline queue and a short
 * command timeout, so an outage costs a cache miss, never a stuck request.
 * It keeps reconnecting in the background and fills again when Redis is back.
 * Scripts run by EVALSHA (ioredis falls back to EVAL once after a restart
 * flushed the script cache).
 *
 * On a Redis Cluster (ioredis `Cluster`, every command to the slot's master,
 * so a generation read and the write it guards meet on one server): a script
 * only ever touches keys of one slot (a key and its generation share the
 * key's hash tag); multi-key reads and batched writes are split by slot and
 * sent as one pipeline per node, in parallel, so a batch of any size costs one
 * round trip per node. Invalidations, and the writes access control depends
 * on (login counters, session tombstones: `replicated`), wait, bounded by half
 * the command timeout, until a replica of their slot has them, so a failover
 * does not forget them; an invalidation or tombstone no replica confirmed
 * fails (NotReplicatedError), so the caller remembers and replays it.
 */
export class RedisStore implements CacheStore {
  readonly backend = 'redis';
  readonly client: Client;
  private readonly cluster: Cluster | undefined;
  private readonly scripted: Scripted;
  private readonly keyPrefix: string;
  private readonly waitMs: number;
  private feed: RedisInvalidationFeed | undefined;
  /** Which cluster master the next subscriber connection goes to. */
  private nextNode = 0;

  constructor(settings: RedisSettings) {
    this.keyPrefix = settings.keyPrefix;
    this.waitMs = Math.max(1, Math.floor(settings.commandTimeoutMs / 2));
    const node = {
      keyPrefix: settings.keyPrefix,
      commandTimeout: settings.commandTimeoutMs,
      connectTimeout: Math.max(1_000, settings.commandTimeoutMs),
      maxRetriesPerRequest: 0,
    };
    const retry = (attempt: number) => Math.min(attempt * 200, 2_000);
    if (settings.cluster === undefined) {
      this.client = new Redis(settings.url, { ...node, enableOfflineQueue: false, retryStrategy: retry, lazyConnect: true });
    } else {
      const { nodes, natMap } = settings.cluster;
      this.cluster = new Cluster(
        nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          keyPrefix: settings.keyPrefix,
          scaleReads: 'master',
          enableOfflineQueue: false,
          lazyConnect: true,
          clusterRetryStrategy: retry,
          // A failed-over slot is found again within about a second even when no MOVED points to it.
          slotsRefreshInterval: 1_000,
          slotsRefreshTimeout: Math.max(1_000, settings.commandTimeoutMs),
          retryDelayOnFailover: 50,
          retryDelayOnClusterDown: 50,
          ...(Object.keys(natMap).length > 0 ? { natMap: { ...natMap } } : {}),
          redisOptions: node,
        },
      );
      this.cluster.on('node error', () => undefined);
      this.client = this.cluster;
    }
    // Connection errors surface on commands; an unhandled 'error' event would crash.
    this.client.on('error', () => undefined);
    this.client.defineCommand('setIfUnchanged', { numberOfKeys: 2, lua: SET_IF_UNCHANGED });
    this.client.defineCommand('incrWithTtl', { numberOfKeys: 1, lua: INCR_WITH_TTL });
    this.client.defineCommand('incrOnceWithTtl', { numberOfKeys: 2, lua: INCR_ONCE_WITH_TTL });
    this.client.defineCommand('compareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.scripted = this.client as unknown as Scripted;
  }

  /**
   * Connected and ready. On a cluster this waits for the client's `ready`
   * event, not the promise of `Cluster#connect`: when its ready check finds
   * the cluster failing (a failover under way), ioredis reconnects and that
   * promise never settles, even once the cluster is back. Not ready within
   * CLUSTER_READY_WAIT_MS fails; the client keeps reconnecting meanwhile.
   */
  async connect(): Promise<void> {
    const cluster = this.cluster;
    if (cluster === undefined) {
      await this.client.connect();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        cluster.off('ready', onReady);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const timer = setTimeout(() => done(new Error(`Redis Cluster not ready within ${CLUSTER_READY_WAIT_MS} ms`)), CLUSTER_READY_WAIT_MS);
      cluster.once('ready', onReady);
      cluster.connect().catch((err: Error) => done(err));
    });
  }

  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    if (this.cluster === undefined) return this.client.mget(...keys);
    const values = new Array<string | null>(keys.length).fill(null);
    const sent = await this.perNode(keys, (pipe, slots) => {
      for (const indexes of slots) pipe.mget(...indexes.map((i) => keys[i] as string));
    });
    for (const { slots, results } of sent) {
      results.forEach((result, j) => {
        (result as (string | null)[]).forEach((value, k) => {
          values[(slots[j] as number[])[k] as number] = value;
        });
      });
    }
    return values;
  }

  async set(key: string, value: string, ttlMs: number, options?: WriteOptions): Promise<void> {
    if (options?.replicated && this.cluster !== undefined && slotHasReplica(this.cluster, this.keyPrefix, key)) {
      const [, acked] = await this.execOrThrow(this.pipe().set(key, value, 'PX', ttlOf(ttlMs)).wait(1, this.waitMs));
      if (acked === 0) throw new NotReplicatedError();
      return;
    }
    await this.client.set(key, value, 'PX', ttlOf(ttlMs));
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.cluster === undefined) {
      await this.client.del(...keys);
      return;
    }
    await this.perNode(keys, (pipe, slots) => {
      for (const indexes of slots) pipe.del(...indexes.map((i) => keys[i] as string));
    });
  }

  async readVersioned(keys: readonly string[]): Promise<VersionedRead[]> {
    if (keys.length === 0) return [];
    const raw = await this.mget(keys.flatMap((key) => [key, generationKey(key)]));
    return keys.map((_, i) => ({ value: raw[2 * i] ?? null, token: raw[2 * i + 1] ?? '' }));
  }

  async setIfUnchanged(entries: readonly ConditionalSet[]): Promise<boolean[]> {
    if (entries.length === 1) {
      const [e] = entries as [ConditionalSet];
      return [(await this.scripted.setIfUnchanged(e.key, generationKey(e.key), e.token, e.value, ttlOf(e.ttlMs))) === 1];
    }
    const sent = await this.perNode(
      entries.map((e) => e.key),
      (pipe, slots) => {
        for (const i of slots.flat()) {
          const e = entries[i] as ConditionalSet;
          pipe.setIfUnchanged(e.key, generationKey(e.key), e.token, e.value, ttlOf(e.ttlMs));
        }
      },
    );
    const written = new Array<boolean>(entries.length).fill(false);
    for (const { slots, results } of sent) {
      slots.flat().forEach((i, j) => {
        written[i] = results[j] === 1;
      });
    }
    return written;
  }

  async invalidate(keys: readonly string[], generationTtlMs: number): Promise<void> {
    if (keys.length === 0) return;
    // In order per key: the new generation first, so a conditional set
    // squeezed in between already sees it and refuses (the two share a slot,
    // hence a node and a pipeline, when the key has a hash tag).
    const sent = await this.perNode(keys, (pipe, slots) => {
      for (const i of slots.flat()) {
        const key = keys[i] as string;
        pipe.set(generationKey(key), newGenerationToken(), 'PX', ttlOf(generationTtlMs));
        pipe.del(key);
      }
      // A generation only the master had would be gone after a failover, and the old value with it back.
      if (this.cluster !== undefined && slotHasReplica(this.cluster, this.keyPrefix, keys[slots[0]?.[0] ?? 0] as string))
        pipe.wait(1, this.waitMs);
    });
    // Two results per key, then WAIT's count of replicas that confirmed, where it was sent.
    const waited = sent.filter(({ slots, results }) => results.length > 2 * slots.flat().length);
    if (waited.some(({ results }) => results.at(-1) === 0)) throw new NotReplicatedError();
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, 'PX', ttlOf(ttlMs), 'NX')) === 'OK';
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.scripted.compareAndSet(key, expected, value, ttlOf(ttlMs))) === 1;
  }

  async incrWithTtl(key: string, ttlMs: number, by = 1, options?: WriteOptions): Promise<Counter> {
    let counted: [number, number];
    const once = options?.once === undefined ? undefined : this.onceMarker(key, options.once);
    if (options?.replicated && this.cluster !== undefined && slotHasReplica(this.cluster, this.keyPrefix, key)) {
      // Unconfirmed is still counted: the master has it (a retry with the same `once` id is not counted again).
      const pipe = this.pipe();
      const [result] = await this.execOrThrow(
        (once === undefined ? pipe.incrWithTtl(key, by, ttlOf(ttlMs)) : pipe.incrOnceWithTtl(key, once, by, ttlOf(ttlMs))).wait(
          1,
          this.waitMs,
        ),
      );
      counted = result as [number, number];
    } else {
      counted =
        once === undefined
          ? await this.scripted.incrWithTtl(key, by, ttlOf(ttlMs))
          : await this.scripted.incrOnceWithTtl(key, once, by, ttlOf(ttlMs));
    }
    return { value: counted[0], ttlMs: counted[1] };
  }

  /**
   * The key that marks operation `id` on counter `key`, in the counter's
   * slot: the counter's own hash tag, or (without one) its whole prefixed
   * name as the tag (the prefix has no braces on a cluster).
   */
  private onceMarker(key: string, id: string): string {
    return /\{[^}]+\}/.test(key) ? `${key}:once:${id}` : `{${this.keyPrefix}${key}}:once:${id}`;
  }

  /** One server: PING. A cluster: every master answers and the cluster says its slots are all served. */
  async ping(): Promise<boolean> {
    try {
      if (this.cluster === undefined) return (await this.client.ping()) === 'PONG';
      const masters = this.cluster.nodes('master');
      if (masters.length === 0) return false;
      const answers = await Promise.all(masters.map((m) => m.ping()));
      const info = await this.cluster.cluster('INFO');
      return answers.every((a) => a === 'PONG') && /cluster_state:ok/.test(info);
    } catch {
      return false;
    }
  }

  /**
   * Pub/sub on a connection of its own (see RedisInvalidationFeed); on a
   * cluster, to one master at a time (any node hears every PUBLISH), the next
   * one after a loss.
   */
  invalidationFeed(options: { readonly boundMs: number }): RedisInvalidationFeed {
    if (this.feed === undefined) {
      this.feed = new RedisInvalidationFeed(this.client, {
        keyPrefix: this.keyPrefix,
        boundMs: options.boundMs,
        subscriber: () => this.subscriber(),
      });
      this.feed.start();
    }
    return this.feed;
  }

  onReady(listener: () => void): void {
    this.client.on('ready', listener);
  }

  async close(): Promise<void> {
    this.feed?.close();
    this.client.disconnect();
  }

  private subscriber(): Redis | undefined {
    const options = { lazyConnect: true, autoResubscribe: false, enableOfflineQueue: true, keyPrefix: '' } as const;
    if (this.cluster === undefined) return (this.client as Redis).duplicate(options);
    const masters = this.cluster.nodes('master');
    if (masters.length === 0) return undefined;
    const node = masters[this.nextNode++ % masters.length] as Redis;
    // One try per node: a node that went away is replaced by the next master.
    return node.duplicate({ ...options, retryStrategy: () => null });
  }

  private pipe(): Pipe {
    return this.client.pipeline() as unknown as Pipe;
  }

  /**
   * Builds one pipeline per node (`fill` gets the key indexes by slot), runs
   * them in parallel and throws the first error; one server: one pipeline of
   * everything. The results come with the slots each pipeline was built from.
   */
  private async perNode(
    keys: readonly string[],
    fill: (pipe: Pipe, slots: number[][]) => void,
  ): Promise<{ readonly slots: number[][]; readonly results: unknown[] }[]> {
    const groups = this.cluster === undefined ? [[keys.map((_, i) => i)]] : slotGroups(this.cluster, this.keyPrefix, keys);
    return Promise.all(
      groups.map(async (slots) => {
        const pipe = this.pipe();
        fill(pipe, slots);
        return { slots, results: await this.execOrThrow(pipe) };
      }),
    );
  }

  private async execOrThrow(pipe: Pipe): Promise<unknown[]> {
    return ((await pipe.exec()) ?? []).map(([err, result]) => {
      if (err) throw err;
      return result;
    });
  }
}

/** A write the master took but no replica confirmed in time: a failover now could forget it. */
export class NotReplicatedError extends Error {
  override readonly name = 'NotReplicatedError';
  constructor() {
    super('no replica confirmed the write in time');
  }
}

function ttlOf(ms: number): number {
  return Math.max(1, Math.round(ms));
}

// Scripts run atomically on the server: no other command runs between their steps.
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const INCR_WITH_TTL = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {value, left}`;

/**
 * INCR_WITH_TTL applied at most once per operation: KEYS[2] marks the
 * operation (same slot as KEYS[1]) for the window ARGV[2]; a repeat only
 * reads the counter.
 */
const INCR_ONCE_WITH_TTL = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then left = tonumber(ARGV[2]) end
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), left}
end${INCR_WITH_TTL}`;
