import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/core';

/**
 * What one request carries down to the stores without services knowing about
 * gRPC: its own unit of work per store and its deadline.
 *
 * MikroORM's own RequestContext forks every EntityManager up front; a request
 * answered from the cache never touches a store, so forks here are made on
 * first use instead.
 */
interface Scope {
  readonly forks: Map<string, EntityManager>;
  /** Epoch ms by which the caller wants an answer; undefined for none. */
  readonly deadline: number | undefined;
  /** Run before each store operation of the request (see `checkBeforeStoreUse`). */
  beforeStoreUse?: () => void;
}

const storage = new AsyncLocalStorage<Scope>();

/** Runs `fn` with fresh, lazily forked EntityManagers for every ORM; a scope within a request keeps its store check. */
export function runInRequestScope<T>(deadline: number | undefined, fn: () => T): T {
  return storage.run({ forks: new Map(), deadline, beforeStoreUse: storage.getStore()?.beforeStoreUse }, fn);
}

/**
 * Sets what the current request must pass before each PostgreSQL connection
 * or MongoDB operation it takes (it throws to refuse). An answer from the
 * cache passes nothing.
 */
export function checkBeforeStoreUse(check: () => void): void {
  const scope = storage.getStore();
  if (scope) scope.beforeStoreUse = check;
}

/** Throws when the current request may not use a store now; nothing outside a request. */
export function beforeStoreUse(): void {
  storage.getStore()?.beforeStoreUse?.();
}

/** Milliseconds left before the current request's deadline, if it has one. */
export function timeLeftMs(): number | undefined {
  const deadline = storage.getStore()?.deadline;
  return deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
}

/**
 * True when the current request has not forked the ORM called `name` yet
 * (nothing of this request is in a unit of work) or runs outside any request.
 * A read that needs no unit of work can then skip making one.
 */
export function noForkYet(name: string): boolean {
  return storage.getStore()?.forks.has(name) !== true;
}

/**
 * The `context` option of an ORM config: inside a request scope the global
 * EntityManager resolves to this request's fork, made on first use.
 */
export function scopedContext(root: () => EntityManager): (name: string) => EntityManager | undefined {
  return (name) => {
    const scope = storage.getStore();
    if (scope === undefined) return undefined;
    let em = scope.forks.get(name);
    if (em === undefined) {
      em = root().fork({ disableContextResolution: true, useContext: false });
      scope.forks.set(name, em);
    }
    return em;
  };
}
