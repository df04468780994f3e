import net from 'node:net';
import pg from 'pg';
import { within } from '../within.js';
import { beforeStoreUse, timeLeftMs } from './request-scope.js';

/**
 * A statement the client gave up on: no answer within its bound (the caller's
 * time left, else the statement timeout plus a margin, for a server that has
 * gone silent and cannot enforce its own timeout). Its connection was
 * destroyed and the server asked to cancel the statement.
 */
export class StatementAbandonedError extends Error {
  override readonly name = 'StatementAbandonedError';
  readonly code = 'STATEMENT_ABANDONED';
}

/** The pool gave no connection before the caller's deadline. */
export class PoolWaitAbandonedError extends Error {
  override readonly name = 'PoolWaitAbandonedError';
  readonly code = 'POOL_WAIT_ABANDONED';
}

export interface PoolGuardSettings {
  /** The server-side bound; the client waits this long plus `marginMs` when the caller has no deadline. */
  readonly statementTimeoutMs: number;
  /** How long past the statement timeout a silent server is waited for. */
  readonly marginMs?: number;
}

/** How long a silent TCP peer goes unprobed before the kernel starts keepalive probes. */
const KEEPALIVE_IDLE_MS = 10_000;

/**
 * Connection options that bound what the server and the network can hold:
 * TCP keepalive (a peer that vanished is noticed without traffic) and,
 * straight to PostgreSQL, `idle_in_transaction_session_timeout`, so that a
 * transaction whose client went away is ended by the server itself. Through a
 * transaction pooler startup parameters are refused; its own
 * `idle_transaction_timeout` is the bound there.
 */
export function connectionBounds(settings: PoolGuardSettings & { readonly transactionPooling?: boolean }) {
  return {
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ...(settings.transactionPooling ? {} : { idle_in_transaction_session_timeout: settings.statementTimeoutMs }),
  };
}

/** How long a cancel request may take to reach the server; it is best-effort. */
const CANCEL_TIMEOUT_MS = 1_000;

interface Checkout {
  /** Gives the connection back once: destroyed when `err` is set. */
  give(err?: Error): void;
}

type Release = (err?: Error | boolean) => void;

const guarded = new WeakMap<pg.PoolClient, Checkout>();

/**
 * Makes the `pg` pool under the ORM unable to leak or hang, whatever the
 * layers above it do with a broken connection:
 *
 * - a connection that fails below SQL (reset, terminated, not queryable) or
 *   whose COMMIT/ROLLBACK fails is given back to the pool at once, destroyed
 *   when broken; the release the ORM's SQL layer makes later (or never: it
 *   releases only after a successful COMMIT/ROLLBACK) is then a no-op;
 * - every statement has a client-side bound: the caller's time left, or the
 *   statement timeout plus a margin; past it the connection is destroyed and
 *   the server asked to cancel the statement;
 * - a wait for a free connection ends at the caller's deadline.
 *
 * Install it on every pool the ORM creates (MikroORM's `onPoolCreated`).
 */
export function guardPool(pool: pg.Pool, settings: PoolGuardSettings): void {
  const boundMs = () => {
    const fallback = settings.statementTimeoutMs + (settings.marginMs ?? 1_000);
    const left = timeLeftMs();
    return left === undefined ? fallback : Math.min(left, fallback);
  };
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  pool.connect = ((callback?: unknown) => {
    // pool.query() checks out with a callback; the ORM always awaits a promise.
    if (typeof callback === 'function') return (connect as (cb: unknown) => void)(callback);
    try {
      beforeStoreUse();
    } catch (err) {
      // The ORM rebuilds a failed checkout's error from its own properties: the refusal survives as its cause.
      return Promise.reject(new Error('the request may not take a database connection', { cause: err }));
    }
    return acquire(connect, timeLeftMs()).then((client) => {
      checkOut(client, boundMs);
      return client;
    });
  }) as typeof pool.connect;
}

async function acquire(connect: () => Promise<pg.PoolClient>, leftMs: number | undefined): Promise<pg.PoolClient> {
  const pending = connect();
  if (leftMs === undefined || (await within(pending, leftMs))) return pending;
  // Given by the pool after the caller left: straight back.
  pending.then(
    (client) => client.release(),
    () => undefined,
  );
  throw new PoolWaitAbandonedError(`no database connection free within the caller's deadline (${leftMs} ms)`);
}

function checkOut(client: pg.PoolClient, boundMs: () => number): void {
  const release = client.release as Release;
  let given = false;
  const checkout: Checkout = {
    give: (err) => {
      if (given) return;
      given = true;
      release(err);
    },
  };
  client.release = ((err?: Error | boolean) =>
    checkout.give(err instanceof Error ? err : err ? new Error('released as broken') : undefined)) as Release;
  if (!guarded.has(client)) wrapQuery(client, boundMs);
  guarded.set(client, checkout);
}

function wrapQuery(client: pg.PoolClient, boundMs: () => number): void {
  const query = client.query as (...args: unknown[]) => unknown;
  client.query = function (this: unknown, ...args: unknown[]) {
    const [first, values] = args;
    // Cursors, submittables and callback calls pass through; the ORM's statements are (text, values) promises.
    if (typeof first !== 'string' || args.length > 2 || typeof values === 'function') return query.apply(this, args);
    const timeout = boundMs();
    const result = query.call(this, { text: first, values, query_timeout: timeout }) as Promise<unknown>;
    return result.catch((err: unknown) => {
      throw failed(client, first, err, timeout);
    });
  } as typeof client.query;
}

/** What a failed statement does to its connection; returns the error the caller sees. */
function failed(client: pg.PoolClient, sql: string, err: unknown, timeoutMs: number): unknown {
  const checkout = guarded.get(client);
  if (err instanceof Error && err.message === 'Query read timeout') {
    cancelStatement(client);
    const abandoned = new StatementAbandonedError(`no answer from PostgreSQL within ${timeoutMs} ms`, { cause: err });
    checkout?.give(abandoned);
    return abandoned;
  }
  if (!(err instanceof pg.DatabaseError)) {
    // Below SQL: the connection is gone or unusable.
    checkout?.give(err instanceof Error ? err : new Error(String(err)));
  } else if (/^\s*(commit|rollback|end|abort)\b/i.test(sql)) {
    // The server answered, so the connection is sound, but the SQL layer above releases only on success.
    checkout?.give();
  }
  return err;
}

/** PostgreSQL's CancelRequest, on a connection of its own; best-effort (the server may be the silent one). */
function cancelStatement(client: pg.PoolClient): void {
  const { processID, secretKey, host, port } = client as unknown as {
    processID?: number;
    secretKey?: number;
    host?: string;
    port?: number;
  };
  if (typeof processID !== 'number' || typeof secretKey !== 'number') return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host?.startsWith('/')
    ? net.connect(`${host}/.s.PGSQL.${port}`)
    : net.connect({ host: host ?? 'localhost', port: port ?? 5432 });
  socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(message));
}
