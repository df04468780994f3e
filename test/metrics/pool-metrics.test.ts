import { describe, expect, it } from 'vitest';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;

useTestServer({ env: { DATABASE_POOL_MAX: '3' } }, (s) => {
  server = s;
});

async function connections(): Promise<Record<string, number>> {
  const body = await (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
  const found: Record<string, number> = {};
  for (const line of body.split('\n')) {
    const m = /^db_client_connections(_max)?\{pool="primary"(?:,state="(\w+)")?\} (\S+)$/.exec(line);
    if (m) found[m[1] ? 'max' : (m[2] as string)] = Number(m[3]);
  }
  return found;
}

describe('db_client_connections', () => {
  it('when every connection is checked out and more transactions wait, then used is the pool size and pending counts the waiters; both fall back when they end', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let inside = 0;
    const held = Array.from({ length: 5 }, () =>
      server.app.stores.pg.em.fork().transactional(async (em) => {
        await em.execute('select 1');
        inside++;
        await gate;
      }),
    );
    for (let i = 0; i < 100 && inside < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inside).toBe(3);
    const busy = await connections();
    expect(busy).toMatchObject({ max: 3, used: 3, idle: 0 });
    expect(busy.pending).toBeGreaterThanOrEqual(2);
    open();
    await Promise.all(held);
    const after = await connections();
    expect(after.pending).toBe(0);
    expect(after.used).toBe(0);
    expect(after.idle).toBeGreaterThanOrEqual(1);
  });
});
