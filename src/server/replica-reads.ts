import { Metadata } from '@grpc/grpc-js';
import type { MikroORM } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import { ReadRouter } from '../db/replicas/read-router.js';
import { ReplicaMonitor, type ReplicaState } from '../db/replicas/replica-monitor.js';
import type { Logger } from '../logger.js';
import { replicaMetrics } from '../metrics/replica-metrics.js';
import type { Health } from './health.js';

/**
 * Metadata key of a WAL position: sent back after a call that wrote, and
 * honoured on a later call that sends it (its reads then include that write).
 */
export const MIN_LSN_KEY = 'x-campus-min-lsn';

/**
 * The calls whose reads may go to a read replica: listings and searches that
 * page through rows, read no session or permission, and fill no shared
 * cache. Everything else reads the primary. ListLessons is not one of them:
 * its item and first lessons come from the shared cache (primary data), so
 * a page past them from a lagging replica would answer half from each.
 */
export const REPLICA_READ_METHODS: ReadonlySet<string> = new Set([
  '/campus.catalog.v1.CatalogService/ListCatalogItems',
  '/campus.catalog.v1.CatalogService/SearchCatalogItems',
  '/campus.enrollment.v1.EnrollmentService/ListEnrollments',
  '/campus.identity.v1.UserService/ListUsers',
  '/campus.billing.v1.PaymentService/ListPayments',
  '/campus.audit.v1.AuditService/ListAuditEntries',
]);

/** Runs a call's handler under read routing; `send` gets the metadata to send before the response. */
export type RouteReads = <T>(
  method: string,
  principal: Principal,
  metadata: Metadata,
  handler: () => Promise<T>,
  send: (metadata: Metadata) => void,
) => Promise<T>;

/** The unary adapter's side of a ReadRouter: which calls may lag, and the position in and out of metadata. */
export function routeReads(router: ReadRouter): RouteReads {
  return async (method, principal, metadata, handler, send) => {
    const sent = metadata.get(MIN_LSN_KEY)[0];
    const { value, minLsn } = await router.run(
      {
        mayLag: REPLICA_READ_METHODS.has(method),
        caller: principal.kind === 'anonymous' ? undefined : principal.id,
        minLsn: sent === undefined ? undefined : String(sent),
      },
      handler,
    );
    if (minLsn !== undefined) {
      const out = new Metadata();
      out.set(MIN_LSN_KEY, minLsn);
      send(out);
    }
    return value;
  };
}

/** Read routing as the composition root starts it: the router, its replica probes and what they report. */
export interface ReadRouting {
  /** Undefined without replicas: every read goes to the primary, no routing needed. */
  readonly route: RouteReads | undefined;
  /** First probe round, then probes in the background; `campus.replicas` health follows rotation. */
  start(health: Health): Promise<void>;
  close(): void;
}

/**
 * Read routing over the configured replicas. Without replicas nothing is
 * routed or probed; with them, `campus.replicas`
 * health is NOT_SERVING while any replica is out of rotation (the service
 * itself serves on: its reads go to the primary).
 */
export function readRouting(
  config: Pick<Config, 'databaseReplicaUrls' | 'databaseReplicaMaxLagMs' | 'databaseReplicaProbeIntervalMs'>,
  orm: MikroORM,
  registry: Registry,
  log: Logger,
): ReadRouting {
  if (config.databaseReplicaUrls.length === 0) {
    return { route: undefined, start: async () => undefined, close: () => undefined };
  }
  const monitor = new ReplicaMonitor({
    primaryUrl: orm.config.get('clientUrl') as string,
    replicaUrls: config.databaseReplicaUrls,
    maxLagMs: config.databaseReplicaMaxLagMs,
    probeIntervalMs: config.databaseReplicaProbeIntervalMs,
    log,
  });
  const router = new ReadRouter(
    orm,
    monitor,
    replicaMetrics(registry, () => monitor.states()),
  );
  return {
    route: routeReads(router),
    start: async (health) => {
      const report = (states: readonly ReplicaState[]) => {
        const down = states.filter((s) => !s.inRotation).map((s) => s.name);
        health.setPart(REPLICAS_HEALTH, down.length === 0 ? 'SERVING' : 'NOT_SERVING');
      };
      monitor.onChange(report);
      await monitor.start();
      report(monitor.states());
    },
    close: () => monitor.close(),
  };
}

/** The health service name of the replica set. */
export const REPLICAS_HEALTH = 'campus.replicas';
