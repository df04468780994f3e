import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCounts, type Outcome, STORE_AWAY_CODES, sleep, startLoad, untilOk } from '../support/call-load.js';
import { rawClient } from '../support/databases.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import type { TestServer } from '../support/test-server.js';
import { type CampusLoad, startBehindProxy, stopBehindProxy, unexpectedErrors } from './campus-load.js';

// The service reaches PostgreSQL through a proxy that, for 10 s, drops every byte with its connections held open.

const POOL_SIZE = 4;
const DEADLINE_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 2_000;
const PARTITION_MS = 10_000;
/** Scheduling slack on a loaded machine. */
const SLACK_MS = 500;

let parts: Parameters<typeof stopBehindProxy>[0];
let proxy: TcpProxy;
let server: TestServer;
let load: CampusLoad;
let watcher: pg.Client | undefined;

beforeAll(async () => {
  let dbUrl: string;
  ({ proxy, server, load, dbUrl } = await startBehindProxy(
    { DATABASE_POOL_MAX: String(POOL_SIZE), STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
    DEADLINE_MS,
    (started) => {
      parts = started;
    },
  ));
  watcher = await rawClient(dbUrl);
}, 120_000);

afterAll(async () => {
  await watcher?.end().catch(() => undefined);
  await stopBehindProxy(parts);
}, 60_000);

/** The service's sessions on the test database, by state. */
async function serviceSessions(): Promise<string[]> {
  const { rows } = await (watcher as pg.Client).query<{ state: string }>(
    "select state from pg_stat_activity where datname = current_database() and application_name = 'campus-data'",
  );
  return rows.map((r) => r.state);
}

describe('a partition between the service and PostgreSQL', () => {
  it('when every byte is dropped for 10 s with connections held open, then calls end by their deadline, never INTERNAL, and once it heals reads and writes succeed and no session stays idle in transaction', async () => {
    const calls = load;
    const net = proxy;
    const background = startLoad(calls.all, 6);
    let during: Outcome[] = [];
    let recoveredWriteMs = 0;
    let recoveredReadMs = 0;
    let seenInTransaction = 0;
    try {
      await sleep(500);
      const cutAt = Date.now();
      net.dropTraffic();
      while (Date.now() - cutAt < PARTITION_MS) {
        await sleep(500);
        seenInTransaction = Math.max(
          seenInTransaction,
          (await serviceSessions()).filter((s) => s.startsWith('idle in transaction')).length,
        );
      }
      const healedAt = Date.now();
      net.restore();
      // Calls that started and ended inside the partition.
      during = background.outcomes.filter((o) => o.startedAt >= cutAt && o.startedAt + o.elapsedMs <= healedAt);
      recoveredWriteMs = await untilOk(calls.createUser, 10_000);
      recoveredReadMs = await untilOk(calls.listUsers, 5_000);
      await sleep(500);
    } finally {
      await background.stop();
    }
    console.log(
      `partition: ${during.length} calls during it ${JSON.stringify(codeCounts(during))}; after heal a write succeeded in ${recoveredWriteMs} ms, ` +
        `then an uncached read in ${recoveredReadMs} ms; sessions idle in transaction seen during it: ${seenInTransaction}`,
    );

    expect(during.length).toBeGreaterThan(10);
    const late = during.filter((o) => o.elapsedMs > o.deadlineMs + SLACK_MS);
    expect(late, JSON.stringify(late.slice(0, 3))).toEqual([]);
    const allOutcomes = background.outcomes;
    const wrong = allOutcomes.filter((o) => !STORE_AWAY_CODES.includes(o.code));
    expect(wrong, JSON.stringify(codeCounts(wrong))).toEqual([]);
    // Only what did not touch PostgreSQL succeeded during the partition: the cached item.
    expect(during.filter((o) => o.code === 0 && o.op !== 'GetCatalogItem(cached)' && o.op !== 'GetUser')).toEqual([]);
    // The service itself let go of each call by then, not only the caller: no handler stayed stuck on the silent network.
    const handled = server.logs.filter((l) => l.msg === 'rpc' && typeof l.ms === 'number' && l.code !== 'OK');
    expect(handled.length).toBeGreaterThan(10);
    expect(handled.filter((l) => (l.ms as number) > DEADLINE_MS + SLACK_MS)).toEqual([]);
    expect(unexpectedErrors(server).map((l) => (l.err as { message?: string })?.message ?? l.method)).toEqual([]);
    // The server ends what the partition left open (idle_in_transaction_session_timeout = STATEMENT_TIMEOUT_MS).
    await expect
      .poll(async () => (await serviceSessions()).filter((s) => s.startsWith('idle in transaction')), { timeout: 3 * STATEMENT_TIMEOUT_MS })
      .toEqual([]);
  }, 60_000);
});
