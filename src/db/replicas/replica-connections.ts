import type { EventSubscriber } from '@mikro-orm/core';
import type pg from 'pg';
import { connectionBounds, guardPool } from '../guarded-pool.js';
import { type StatementTimeoutSettings, startupStatementTimeout } from '../statement-timeout.js';
import { noteCommit } from './read-scope.js';

/** How long a replica connection may take to open before its read falls back to the primary. */
const REPLICA_CONNECT_TIMEOUT_MS = 1_000;

/** Client-side allowance past the statement timeout, for a replica that stopped answering mid-statement. */
const REPLICA_QUERY_GRACE_MS = 500;

/**
 * The ORM options for read replicas: their pools open connections within a
 * second and give up on a statement the server does not answer shortly after
 * the statement timeout (a frozen server cannot enforce its own), so that a
 * read on a dead replica fails fast and is retried on the primary. With them
 * comes the subscriber that tells the ReadRouter which calls committed.
 */
export function replicaConnections(settings: StatementTimeoutSettings & { readonly replicaUrls?: readonly string[] }) {
  const urls = settings.replicaUrls ?? [];
  const commits: EventSubscriber = { afterTransactionCommit: () => noteCommit() };
  return {
    replicas: urls.map((clientUrl) => ({
      clientUrl,
      driverOptions: {
        ...startupStatementTimeout(settings),
        ...connectionBounds(settings),
        connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS,
        application_name: 'campus-data',
        onPoolCreated: (pool: pg.Pool) => guardPool(pool, { ...settings, marginMs: REPLICA_QUERY_GRACE_MS }),
      },
    })),
    subscribers: urls.length > 0 ? [commits] : [],
  };
}
