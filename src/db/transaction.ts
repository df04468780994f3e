import type { EntityManager } from '@mikro-orm/core';

type CommitHook = () => Promise<void>;

/** The hooks of each transaction that `transactional` runs, by its EntityManager. */
const commitHooks = new WeakMap<EntityManager, CommitHook[]>();

/**
 * Runs `fn` as one PostgreSQL transaction (one unit of work, flushed at the
 * end). When the caller set a deadline, no statement of the transaction may run
 * past it (see perTransactionStatementTimeout, which bounds every
 * transaction the ORM opens). Once it committed,
 * the hooks registered with `onCommit` run, and `transactional` returns after
 * them.
 */
export async function transactional<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  const hooks: CommitHook[] = [];
  const result = await em.transactional(async (tx) => {
    commitHooks.set(tx, hooks);
    return fn(tx);
  });
  if (hooks.length > 0) await Promise.all(hooks.map((hook) => hook()));
  return result;
}

/**
 * Runs `hook` after the transaction of `tx` (one `transactional` began)
 * committed, before that call returns, so that the caller's next read sees
 * its effect; never when it rolled back. For what a write changes outside
 * PostgreSQL, such as the cached copies of what it wrote. A hook must not
 * throw: the write has committed whatever it does.
 */
export function onCommit(tx: EntityManager, hook: CommitHook): void {
  const hooks = commitHooks.get(tx);
  if (hooks === undefined) throw new Error('onCommit needs a transaction begun by transactional()');
  hooks.push(hook);
}
