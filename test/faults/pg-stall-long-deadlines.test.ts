import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCounts, type Outcome, outcomeOf, STORE_AWAY_CODES, sleep, untilOk } from '../support/call-load.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import type { TestServer } from '../support/test-server.js';
import { type CampusLoad, startBehindProxy, stopBehindProxy, unexpectedErrors } from './campus-load.js';

// PostgreSQL's bytes held (not dropped) for a few seconds while one caller, on long deadlines, has more
// calls stuck on it than its limit of calls in flight, and keeps reading what the cache holds.

const POOL_SIZE = 4;
const PER_CALLER = 4;
const LONG_DEADLINE_MS = 20_000;
const STALL_MS = 4_000;
const STUCK_CALLS = PER_CALLER + 2;

let parts: Parameters<typeof stopBehindProxy>[0];
let proxy: TcpProxy;
let server: TestServer;
let load: CampusLoad;

beforeAll(async () => {
  ({ proxy, server, load } = await startBehindProxy(
    { DATABASE_POOL_MAX: String(POOL_SIZE), MAX_CONCURRENT_CALLS_PER_CALLER: String(PER_CALLER) },
    LONG_DEADLINE_MS,
    (started) => {
      parts = started;
    },
  ));
}, 120_000);

afterAll(() => stopBehindProxy(parts), 60_000);

describe('PostgreSQL stalled under callers with long deadlines', () => {
  it("when more of one caller's calls than its limit wait on a stalled PostgreSQL, then its cached reads are still served, nothing ends INTERNAL, and all works once the bytes flow again", async () => {
    const calls = load;
    const net = proxy;
    net.stall();
    const stalledAt = Date.now();
    // Uncached reads and writes, each on a connection that answers nothing (or waiting for one).
    const stuck = Array.from({ length: STUCK_CALLS }, (_, i) => outcomeOf(i % 2 ? calls.listUsers : calls.updateUser));
    await sleep(300);
    const cached: Outcome[] = [];
    while (Date.now() - stalledAt < STALL_MS) {
      cached.push(await outcomeOf({ ...calls.getCachedItem, deadlineMs: 2_000 }));
      await sleep(100);
    }
    let settledDuringStall = 0;
    for (const p of stuck) void p.then(() => settledDuringStall++);
    await sleep(0);
    const endedBeforeRelease = settledDuringStall;
    net.restore();
    const stuckOutcomes = await Promise.all(stuck);
    console.log(
      `stall: cached reads during it ${JSON.stringify(codeCounts(cached))}; the stuck calls ${JSON.stringify(codeCounts(stuckOutcomes))}, ` +
        `${endedBeforeRelease} of them ended before the release`,
    );

    expect(cached.length).toBeGreaterThan(10);
    expect(
      cached.filter((o) => o.code !== status.OK),
      JSON.stringify(codeCounts(cached)),
    ).toEqual([]);
    // The calls over the caller's limit that need PostgreSQL are refused; the others wait it out.
    const refused = stuckOutcomes.filter((o) => o.code === status.RESOURCE_EXHAUSTED);
    expect(refused.length).toBeLessThanOrEqual(STUCK_CALLS - PER_CALLER);
    expect(
      stuckOutcomes.filter((o) => o.code !== status.RESOURCE_EXHAUSTED && !STORE_AWAY_CODES.includes(o.code)),
      JSON.stringify(codeCounts(stuckOutcomes)),
    ).toEqual([]);
    // Those admitted were stuck until the release.
    expect(endedBeforeRelease).toBe(refused.length);

    // Once the bytes flow again: writes, uncached and cached reads all succeed, and the pool is whole.
    const afterMs = { write: await untilOk({ ...calls.createUser, deadlineMs: 2_000 }, 5_000) };
    const together = await Promise.all(Array.from({ length: POOL_SIZE }, (_, i) => outcomeOf(i % 2 ? calls.createUser : calls.listUsers)));
    expect(together.map((o) => o.code)).toEqual(Array(POOL_SIZE).fill(status.OK));
    expect((await outcomeOf(calls.getCachedItem)).code).toBe(status.OK);
    console.log(`after the release a write succeeded in ${afterMs.write} ms`);
    expect(unexpectedErrors(server).map((l) => (l.err as { message?: string })?.message ?? l.method)).toEqual([]);
  }, 60_000);
});
