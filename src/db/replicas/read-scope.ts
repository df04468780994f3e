import { AsyncLocalStorage } from 'node:async_hooks';

/** Where the reads of one call go; see ReadRouter. */
interface ReadScope {
  /** Replica index that reads outside a transaction use; undefined: the primary. */
  readonly replica: number | undefined;
  /** Shared by the call and the loads it runs on the primary. */
  readonly call: { committed: boolean };
}

const storage = new AsyncLocalStorage<ReadScope>();

/** Runs `fn` with its reads outside transactions sent to `replica` (the primary when undefined). */
export function runWithReadTarget<T>(replica: number | undefined, fn: () => T): T {
  return storage.run({ replica, call: storage.getStore()?.call ?? { committed: false } }, fn);
}

/**
 * Runs `fn` with every read on the primary, whatever the call around it may
 * read: for loads whose answer outlives the call (the shared cache) and so
 * must never lag a write.
 */
export function readingPrimary<T>(fn: () => T): T {
  const scope = storage.getStore();
  return scope === undefined || scope.replica === undefined ? fn() : storage.run({ replica: undefined, call: scope.call }, fn);
}

/** The replica the current read outside a transaction goes to; undefined: the primary. */
export function currentReadTarget(): number | undefined {
  return storage.getStore()?.replica;
}

/** Records that the current call committed a PostgreSQL transaction. */
export function noteCommit(): void {
  const scope = storage.getStore();
  if (scope) scope.call.committed = true;
}

/** Whether the current call committed a PostgreSQL transaction so far. */
export function committedInCall(): boolean {
  return storage.getStore()?.call.committed === true;
}
