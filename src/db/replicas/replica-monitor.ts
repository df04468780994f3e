import type { Logger } from '../../logger.js';
import { parseLsn } from './lsn.js';
import { ProbeClient } from './probe-client.js';

export interface ReplicaMonitorOptions {
  readonly primaryUrl: string;
  readonly replicaUrls: readonly string[];
  /** A replica further behind the primary than this is out of rotation. */
  readonly maxLagMs: number;
  /** How often every server is probed; a probe may take twice this long before it counts as failed. */
  readonly probeIntervalMs: number;
  readonly log: Logger;
}

/** What the last probes said of one replica. */
export interface ReplicaState {
  /** `host:port/database` of the replica: a metric label, never a password. */
  readonly name: string;
  readonly inRotation: boolean;
  /** How far behind the primary it is, as of its last answer (0 when it has replayed everything). */
  readonly lagMs: number;
  /** WAL position replayed as of its last answer; undefined before it answered once. */
  readonly replayLsn: bigint | undefined;
}

interface Replica {
  readonly name: string;
  readonly probe: ProbeClient;
  inRotation: boolean;
  lagMs: number;
  replayLsn: bigint | undefined;
  /** Why it is out of rotation (logged once per change). */
  reason: string;
  probing: boolean;
  waiting: Set<() => void>;
}

const NOT_PROBED = 'not probed yet';

/** When the primary was first seen at a WAL position. */
interface Sample {
  readonly at: number;
  readonly lsn: bigint;
}

/**
 * Watches PostgreSQL read replicas and decides which may serve reads.
 *
 * Every `probeIntervalMs` it asks the primary for its WAL position and every
 * replica for the position it has replayed, each over a connection of its
 * own and bounded by `2 * probeIntervalMs`. A replica's lag is the time since
 * the primary first stood at a position the replica has not replayed yet (so
 * an idle pair lags 0, and a replica whose replay stopped lags more with
 * every write). A replica is in rotation while its last probe answered in
 * time and its lag is at most `maxLagMs`: a stopped, frozen or lagging
 * replica leaves rotation within about `3 * probeIntervalMs` and rejoins at
 * the first good probe after it recovers.
 */
export class ReplicaMonitor {
  private readonly replicas: Replica[];
  private readonly primary: ProbeClient;
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private primaryProbing = false;
  private readonly listeners: ((states: readonly ReplicaState[]) => void)[] = [];

  constructor(private readonly options: ReplicaMonitorOptions) {
    const timeoutMs = 2 * options.probeIntervalMs;
    this.primary = new ProbeClient(options.primaryUrl, timeoutMs);
    this.replicas = options.replicaUrls.map((url) => ({
      name: replicaName(url),
      probe: new ProbeClient(url, timeoutMs),
      inRotation: false,
      lagMs: 0,
      replayLsn: undefined,
      reason: NOT_PROBED,
      probing: false,
      waiting: new Set(),
    }));
  }

  /** Probes once (so replicas that answer are in rotation from the start), then every interval. */
  async start(): Promise<void> {
    await this.round();
    this.timer = setInterval(() => void this.round(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.primary.close();
    for (const replica of this.replicas) {
      replica.probe.close();
      replica.inRotation = false;
      for (const resolve of replica.waiting) resolve();
      replica.waiting.clear();
    }
  }

  /** Called with every replica's state whenever one joins or leaves rotation. */
  onChange(listener: (states: readonly ReplicaState[]) => void): void {
    this.listeners.push(listener);
  }

  states(): readonly ReplicaState[] {
    return this.replicas.map(({ name, inRotation, lagMs, replayLsn }) => ({ name, inRotation, lagMs, replayLsn }));
  }

  /**
   * A replica in rotation that has replayed at least `minLsn` (any replica in
   * rotation when undefined), picked at random; undefined when none has, and
   * the read must go to the primary.
   */
  choose(minLsn: bigint | undefined): number | undefined {
    const fit: number[] = [];
    this.replicas.forEach((replica, i) => {
      if (replica.inRotation && (minLsn === undefined || (replica.replayLsn !== undefined && replica.replayLsn >= minLsn))) fit.push(i);
    });
    return fit.length === 0 ? undefined : fit[Math.floor(Math.random() * fit.length)];
  }

  /** Takes a replica out of rotation after a read on it failed; the next good probe brings it back. */
  suspect(index: number, err: unknown): void {
    const replica = this.replicas[index];
    if (replica) this.leave(replica, `a read failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  /**
   * `out` resolves when the replica leaves rotation (at once if it is out);
   * `cancel` forgets the wait once the caller no longer needs it.
   */
  whenOut(index: number): { readonly out: Promise<void>; cancel(): void } {
    const replica = this.replicas[index];
    if (replica === undefined || !replica.inRotation) return { out: Promise.resolve(), cancel: () => undefined };
    let resolve: () => void = () => undefined;
    const out = new Promise<void>((r) => {
      resolve = r;
    });
    replica.waiting.add(resolve);
    return { out, cancel: () => replica.waiting.delete(resolve) };
  }

  private async round(): Promise<void> {
    await Promise.all([this.probePrimary(), ...this.replicas.map((replica) => this.probeReplica(replica))]);
  }

  private async probePrimary(): Promise<void> {
    if (this.primaryProbing) return;
    this.primaryProbing = true;
    try {
      const row = await this.primary.row<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
      const lsn = parseLsn(row.lsn);
      const last = this.samples.at(-1);
      if (lsn !== undefined && (last === undefined || lsn > last.lsn)) this.samples.push({ at: Date.now(), lsn });
      this.prune();
    } catch {
      // The primary's own health is the main health check's business; lags are measured against the last position seen.
    } finally {
      this.primaryProbing = false;
    }
  }

  private async probeReplica(replica: Replica): Promise<void> {
    if (replica.probing) return;
    replica.probing = true;
    try {
      const row = await replica.probe.row<{ lsn: string | null; recovery: boolean }>(
        // Replayed, not received: only replayed changes are visible to its readers.
        'select pg_last_wal_replay_lsn()::text as lsn, pg_is_in_recovery() as recovery',
      );
      const lsn = parseLsn(row.lsn ?? undefined);
      if (!row.recovery || lsn === undefined) {
        this.leave(replica, 'not a streaming standby');
        return;
      }
      replica.replayLsn = lsn;
      replica.lagMs = this.lagOf(lsn);
      if (replica.lagMs > this.options.maxLagMs) this.leave(replica, `lags ${replica.lagMs} ms behind the primary`);
      else this.join(replica);
    } catch (err) {
      this.leave(replica, `probe failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      replica.probing = false;
    }
  }

  /** Time since the primary first stood at a position past `replayed`. */
  private lagOf(replayed: bigint): number {
    const behind = this.samples.find((sample) => sample.lsn > replayed);
    return behind === undefined ? 0 : Date.now() - behind.at;
  }

  /** Keeps enough history to measure lags well past the bound, and always the latest position. */
  private prune(): void {
    const keepMs = Math.max(60_000, 4 * this.options.maxLagMs);
    const since = Date.now() - keepMs;
    while (this.samples.length > 1 && (this.samples[0]?.at ?? 0) < since && (this.samples[1]?.at ?? 0) < since) this.samples.shift();
  }

  private join(replica: Replica): void {
    if (replica.inRotation) return;
    replica.inRotation = true;
    this.options.log.info({ replica: replica.name, lagMs: replica.lagMs }, 'PostgreSQL replica in rotation');
    this.changed();
  }

  private leave(replica: Replica, reason: string): void {
    for (const resolve of replica.waiting) resolve();
    replica.waiting.clear();
    if (!replica.inRotation && replica.reason === reason) return;
    const was = replica.inRotation;
    const first = replica.reason === NOT_PROBED;
    replica.inRotation = false;
    replica.reason = reason;
    if (was || first) {
      this.options.log.warn({ replica: replica.name, reason }, 'PostgreSQL replica out of rotation: its reads go to the primary');
      this.changed();
    }
  }

  private changed(): void {
    const states = this.states();
    for (const listener of this.listeners) listener(states);
  }
}

/** `host:port/database` of a connection URL. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
