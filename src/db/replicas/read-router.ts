import type { MikroORM } from '@mikro-orm/core';
import { DomainError } from '../../errors/domain-error.js';
import { runInRequestScope, timeLeftMs } from '../request-scope.js';
import { formatLsn, parseLsn } from './lsn.js';
import { committedInCall, runWithReadTarget } from './read-scope.js';
import type { ReplicaMonitor } from './replica-monitor.js';

/** Why a call's reads went where they went: the `reason` label of `db_reads_total`. */
export type ReadReason = 'replica' | 'must_not_lag' | 'no_replica_in_rotation' | 'replica_behind' | 'fallback';

export interface ReadCounter {
  count(target: 'primary' | 'replica', reason: ReadReason): void;
}

/** What a call tells the router before it runs. */
export interface RoutedCall {
  /** May this call's reads lag the primary (see docs/scaling.md for which calls may)? */
  readonly mayLag: boolean;
  /** Who calls; their own last write is honoured even when they do not send its position. Undefined: anonymous. */
  readonly caller: string | undefined;
  /** The WAL position the caller's reads must include (the text form); undefined when it sent none. */
  readonly minLsn: string | undefined;
}

/** Past every WAL position: a caller whose last write has no known position reads the primary. */
const UNKNOWN_POSITION = 2n ** 64n - 1n;

/** How many callers' last writes one process remembers (the oldest is forgotten first). */
const REMEMBERED_CALLERS = 10_000;

/**
 * Sends each call's reads to one server: the primary, or one read replica
 * for the whole call, so that a call never reads half from each.
 *
 * - A call that may not lag (the default) reads the primary.
 * - A call that may lag reads a replica in rotation that has replayed the
 *   caller's last write (its `minLsn`, or the last write this process saw
 *   it make); when none has, the primary.
 * - Loads for the shared cache always read the primary (readingPrimary).
 * - When its replica leaves rotation while the call runs, or a read on it
 *   fails with anything but a domain answer, the call is run again on the
 *   primary in a fresh unit of work (calls that may lag only read), and the
 *   replica is taken out of rotation until its next good probe.
 * - After a call that committed a transaction, `run` returns the primary's
 *   WAL position, which covers the commit: a later call that sends it reads
 *   that write, from a replica that has replayed it or from the primary.
 */
export class ReadRouter {
  private readonly lastWrites = new Map<string, bigint>();

  constructor(
    private readonly orm: MikroORM,
    private readonly monitor: ReplicaMonitor | undefined,
    private readonly counter?: ReadCounter,
  ) {}

  run<T>(call: RoutedCall, fn: () => Promise<T>): Promise<{ readonly value: T; readonly minLsn: string | undefined }> {
    // The outer scope holds what the call committed, whichever server its reads went to.
    return runWithReadTarget(undefined, () => this.runRouted(call, fn));
  }

  private async runRouted<T>(call: RoutedCall, fn: () => Promise<T>): Promise<{ readonly value: T; readonly minLsn: string | undefined }> {
    const value = await this.routed(call, fn);
    if (!committedInCall() || this.monitor === undefined) return { value, minLsn: undefined };
    // The write is committed whatever happens here: without its position, the caller reads the primary until its next write.
    const lsn = await this.primaryLsn().catch(() => undefined);
    if (call.caller !== undefined) {
      this.lastWrites.delete(call.caller);
      this.lastWrites.set(call.caller, lsn ?? UNKNOWN_POSITION);
      if (this.lastWrites.size > REMEMBERED_CALLERS) this.lastWrites.delete(this.lastWrites.keys().next().value as string);
    }
    return { value, minLsn: lsn === undefined ? undefined : formatLsn(lsn) };
  }

  private async routed<T>(call: RoutedCall, fn: () => Promise<T>): Promise<T> {
    const monitor = this.monitor;
    if (!call.mayLag || monitor === undefined) {
      if (call.mayLag) this.counter?.count('primary', 'no_replica_in_rotation');
      return runWithReadTarget(undefined, fn);
    }
    const minLsn = this.minLsnOf(call);
    const replica = minLsn === null ? undefined : monitor.choose(minLsn);
    if (replica === undefined) {
      const anyInRotation = monitor.choose(undefined) !== undefined;
      this.counter?.count('primary', anyInRotation ? 'replica_behind' : 'no_replica_in_rotation');
      return runWithReadTarget(undefined, fn);
    }
    this.counter?.count('replica', 'replica');
    const left = timeLeftMs();
    const deadline = left === undefined ? undefined : Date.now() + left;
    const onReplica = runWithReadTarget(replica, fn);
    const OUT = Symbol('out of rotation');
    const leaves = monitor.whenOut(replica);
    try {
      const first = await Promise.race([onReplica, leaves.out.then(() => OUT)]);
      if (first !== OUT) return first as T;
      // Its answer no longer matters; a late failure must not go unhandled.
      onReplica.catch(() => undefined);
    } catch (err) {
      if (err instanceof DomainError && err.kind !== 'UNAVAILABLE') throw err;
      monitor.suspect(replica, err);
    } finally {
      leaves.cancel();
    }
    this.counter?.count('primary', 'fallback');
    return runInRequestScope(deadline, () => runWithReadTarget(undefined, fn));
  }

  /** The position the call's reads must include; null when the caller sent one that is no position (read the primary). */
  private minLsnOf(call: RoutedCall): bigint | undefined | null {
    const sent = call.minLsn === undefined ? undefined : parseLsn(call.minLsn);
    if (call.minLsn !== undefined && sent === undefined) return null;
    const remembered = call.caller === undefined ? undefined : this.lastWrites.get(call.caller);
    if (sent === undefined) return remembered;
    return remembered === undefined || sent > remembered ? sent : remembered;
  }

  /**
   * The primary's WAL insert position: past every commit that has returned.
   * Not pg_current_wal_lsn(), the position written out so far: with
   * asynchronous commit (synchronous_commit = off) a commit returns before
   * the WAL writer writes it out, so that position may stand before it, and
   * a replica that has replayed all of it would still lack the write.
   */
  private async primaryLsn(): Promise<bigint> {
    const rows: { lsn: string }[] = await this.orm.em
      .getConnection('write')
      .execute('select pg_current_wal_insert_lsn()::text as lsn', [], 'all');
    const lsn = parseLsn(rows[0]?.lsn);
    if (lsn === undefined) throw new Error('the primary reported no WAL position');
    return lsn;
  }
}
