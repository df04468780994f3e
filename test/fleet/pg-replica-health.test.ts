import { type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import { replicaName } from '../../src/db/replicas/replica-monitor.js';
import { freePort } from '../../src/server/free-port.js';
import { REPLICAS_HEALTH } from '../../src/server/replica-reads.js';
import { call, connect } from '../support/grpc.js';
import { canRunStandby } from '../support/pg-standby.js';
import { startTestServer } from '../support/test-server.js';
import { type ReplicaFixture, startReplicaFixture } from './pg-replica-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  readonly startedAt: number;
  readonly ms: number;
  readonly code: status;
}

/**
 * A standby that lags, stops or freezes while the service reads from it:
 * probes every 100 ms, lag bound 500 ms.
 */
describe.skipIf(!canRunStandby)('read replicas: a lagging, stopped or frozen standby', () => {
  let f: ReplicaFixture;
  let health: HealthClient;
  let replica: { replica: string };

  beforeAll(async () => {
    f = await startReplicaFixture({ DATABASE_REPLICA_MAX_LAG_MS: '500', DATABASE_REPLICA_PROBE_INTERVAL_MS: '100' });
    health = connect(HealthClient, f.server.port);
    replica = { replica: replicaName(f.pair.standby.url) };
    await f.publishedItem();
  }, 90_000);
  afterAll(async () => {
    health?.close();
    await f?.close();
  }, 30_000);

  const inRotation = () => f.metric('db_replica_in_rotation', replica);
  const healthOf = async (service: string) => (await call(health.check, health, { service })).status;
  async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const startedAt = Date.now();
    while (!(await check())) {
      if (Date.now() - startedAt > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
      await sleep(20);
    }
    return Date.now() - startedAt;
  }

  /** Stops or freezes the standby, then resolves once it is out of rotation: within a second, else throws. */
  const outOfRotationAfter = (fault: () => Promise<void>) => async () => {
    await fault();
    await until(async () => (await inRotation()) === 0, 1_000);
  };

  /** Reads a student may make (so they may go to the replica), four at a time, for `ms`; `during` runs after `atMs`. */
  async function readLoad(ms: number, atMs: number, during: () => Promise<void>): Promise<{ outcomes: Outcome[]; at: number }> {
    const outcomes: Outcome[] = [];
    const end = Date.now() + ms;
    let at = 0;
    const worker = async () => {
      while (Date.now() < end) {
        const startedAt = Date.now();
        const code = await new Promise<status>((resolve) => {
          f.catalog.listCatalogItems(
            { pageSize: 10, pageToken: '', published: true, instructorId: '', orderBy: '' },
            f.student.metadata(),
            { deadline: Date.now() + 5_000 },
            (err: ServiceError | null) => resolve(err ? err.code : status.OK),
          );
        });
        outcomes.push({ startedAt, ms: Date.now() - startedAt, code });
      }
    };
    const trigger = (async () => {
      await sleep(atMs);
      at = Date.now();
      await during();
    })();
    await Promise.all([worker(), worker(), worker(), worker(), trigger]);
    return { outcomes, at };
  }

  it("when reads go to the replica, then its client pool is exported beside the primary's", async () => {
    const { outcomes } = await readLoad(300, 0, async () => undefined);
    expect(outcomes.every((o) => o.code === status.OK)).toBe(true);
    expect(await f.metric('db_reads_total', { target: 'replica', reason: 'replica' })).toBeGreaterThan(0);
    const pool = replica.replica;
    expect(await f.metric('db_client_connections_max', { pool })).toBe(10);
    expect(await f.metric('db_client_connections_max', { pool: 'primary' })).toBe(10);
    const open =
      ((await f.metric('db_client_connections', { pool, state: 'idle' })) ?? 0) +
      ((await f.metric('db_client_connections', { pool, state: 'used' })) ?? 0);
    expect(open).toBeGreaterThanOrEqual(1);
    expect(await f.metric('db_client_connections', { pool, state: 'pending' })).toBe(0);
  });

  it('when replay stops while writes go on, then the lag metric grows past the bound, the replica leaves rotation and health says so, and it returns when replay resumes', async () => {
    expect(await inRotation()).toBe(1);
    await f.pair.standby.query('select pg_wal_replay_pause()');
    try {
      const writes = setInterval(() => void f.publishedItem('Written while paused').catch(() => undefined), 100);
      try {
        await until(async () => (await inRotation()) === 0, 3_000);
      } finally {
        clearInterval(writes);
      }
      expect(await f.metric('db_replica_lag_seconds', replica)).toBeGreaterThan(0.5);
      expect(await healthOf(REPLICAS_HEALTH)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(await healthOf('')).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect(await healthOf('campus.catalog.v1.CatalogService')).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      await f.pair.standby.query('select pg_wal_replay_resume()');
    }
    await until(async () => (await inRotation()) === 1, 3_000);
    expect(await f.metric('db_replica_lag_seconds', replica)).toBeLessThan(0.5);
    expect(await healthOf(REPLICAS_HEALTH)).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it('when the standby stops under read load, then every read succeeds, and within a second it is out of rotation and reads go to the primary', async () => {
    await until(async () => (await inRotation()) === 1, 5_000);
    const fallbacks = (await f.metric('db_reads_total', { target: 'primary', reason: 'fallback' })) ?? 0;
    const { outcomes, at } = await readLoad(
      2_500,
      500,
      outOfRotationAfter(() => f.pair.standby.stop()),
    );
    try {
      expect(outcomes.filter((o) => o.code !== status.OK)).toEqual([]);
      expect(outcomes.filter((o) => o.startedAt < at).length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o.startedAt > at + 1_000).every((o) => o.ms < 500)).toBe(true);
      expect(await inRotation()).toBe(0);
      expect(await healthOf(REPLICAS_HEALTH)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(await healthOf('')).toBe(HealthCheckResponse_ServingStatus.SERVING);
      const routed = (await f.metric('db_reads_total', { target: 'primary', reason: 'no_replica_in_rotation' })) ?? 0;
      expect(routed + ((await f.metric('db_reads_total', { target: 'primary', reason: 'fallback' })) ?? 0) - fallbacks).toBeGreaterThan(0);
    } finally {
      await f.pair.standby.start();
    }
    await until(async () => (await inRotation()) === 1, 10_000);
  });

  it('when the standby freezes under read load, then no read fails or hangs, and within a second it is out of rotation and reads go to the primary', async () => {
    await until(async () => (await inRotation()) === 1, 5_000);
    const { outcomes, at } = await readLoad(
      2_500,
      500,
      outOfRotationAfter(() => f.pair.standby.freeze()),
    );
    try {
      expect(outcomes.filter((o) => o.code !== status.OK)).toEqual([]);
      expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(1_500);
      expect(outcomes.filter((o) => o.startedAt > at + 1_000).every((o) => o.ms < 500)).toBe(true);
      expect(await inRotation()).toBe(0);
      expect(await healthOf(REPLICAS_HEALTH)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(await healthOf('')).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      await f.pair.standby.thaw();
    }
    await until(async () => (await inRotation()) === 1, 10_000);
  });

  it('when a replica does not answer at start, then the service starts and serves, its reads on the primary, and health names the replica set', async () => {
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/campus`;
    const server = await startTestServer({ DATABASE_URL: f.pair.primary.url, DATABASE_REPLICA_URLS: nowhere });
    const client = connect(HealthClient, server.port);
    const catalog = connect(CatalogServiceClient, server.port);
    try {
      const check = async (service: string) => (await call(client.check, client, { service })).status;
      expect(await check('')).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect(await check(REPLICAS_HEALTH)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(server.logs.some((l) => l.msg === 'PostgreSQL replica out of rotation: its reads go to the primary')).toBe(true);
      const list = await call(catalog.listCatalogItems, catalog, {
        pageSize: 10,
        pageToken: '',
        published: true,
        instructorId: '',
        orderBy: '',
      });
      expect(list.catalogItems.length).toBeGreaterThan(0);
    } finally {
      client.close();
      catalog.close();
      await server.close();
    }
  });
});
