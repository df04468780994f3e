import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCounts, type Outcome, outcomeOf, STORE_AWAY_CODES, sleep, startLoad, untilOk } from '../support/call-load.js';
import { canRunStandby, type PgServer, startOwnPgServer } from '../support/pg-standby.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { type CampusLoad, campusLoad, unexpectedErrors } from './campus-load.js';

// The service straight on a PostgreSQL of its own, which is killed (stop -m immediate) and started again
// three times while mixed calls run.

const POOL_SIZE = 4;
const DEADLINE_MS = 1_000;
/** A write must succeed again this soon after PostgreSQL accepts connections. */
const RECOVERY_MS = 2_000;

let own: { server: PgServer; remove(): Promise<void> } | undefined;
let server: TestServer | undefined;
let load: CampusLoad | undefined;

beforeAll(async () => {
  if (!canRunStandby) return;
  own = await startOwnPgServer();
  server = await startTestServer({
    DATABASE_URL: own.server.url,
    DATABASE_POOL_MAX: String(POOL_SIZE),
    STATEMENT_TIMEOUT_MS: '2000',
  });
  load = await campusLoad(server, DEADLINE_MS);
}, 120_000);

afterAll(async () => {
  load?.close();
  await server?.close().catch(() => undefined);
  await own?.remove();
}, 60_000);

describe.skipIf(!canRunStandby)('PostgreSQL restarted under load', () => {
  it('when PostgreSQL is killed and started three times under mixed reads and writes, then writes succeed within 2 s of each start, no call ends INTERNAL, and the whole pool serves again', async () => {
    const pg = own as NonNullable<typeof own>;
    const calls = load as CampusLoad;
    const background = startLoad(calls.all, 6);
    const probes: Outcome[] = [];
    const recoveries: number[] = [];
    try {
      await sleep(500);
      for (let restart = 1; restart <= 3; restart++) {
        await pg.server.stop();
        await sleep(800);
        await pg.server.start();
        // pg_ctl start -w returns once the server accepts connections.
        recoveries.push(await untilOk(calls.createUser, RECOVERY_MS + 3_000, probes));
        await sleep(700);
      }
    } finally {
      await background.stop();
    }
    console.log(`recovery after each restart (ms): ${recoveries.join(', ')}`);
    const outcomes = [...background.outcomes, ...probes];
    console.log(`outcomes: ${JSON.stringify(codeCounts(outcomes))}`);

    for (const recovery of recoveries) expect(recovery).toBeLessThan(RECOVERY_MS);
    const unexpected = outcomes.filter((o) => !STORE_AWAY_CODES.includes(o.code));
    expect(unexpected, JSON.stringify(codeCounts(unexpected))).toEqual([]);
    expect(unexpectedErrors(server as TestServer).map((l) => (l.err as { message?: string })?.message ?? l.method)).toEqual([]);
    // The load was served between the restarts, not only refused.
    expect(outcomes.filter((o) => o.code === 0 && o.op === 'UpdateUser').length).toBeGreaterThan(3);

    // The pool is whole again: as many writes at once as it has connections all succeed.
    const together = await Promise.all(
      Array.from({ length: POOL_SIZE }, (_, i) => outcomeOf({ ...(i % 2 ? calls.updateUser : calls.createUser), deadlineMs: 3_000 })),
    );
    expect(together.map((o) => o.code)).toEqual(Array(POOL_SIZE).fill(0));
    const sessions = await pg.server.query<{ state: string }>(
      "select state from pg_stat_activity where application_name = 'campus-data' and backend_type = 'client backend'",
    );
    expect(sessions.length).toBeLessThanOrEqual(POOL_SIZE);
    expect(sessions.filter((s) => s.state !== 'idle')).toEqual([]);
  }, 60_000);
});
