import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * A counted login attempt whose reply is lost (Redis counted it, the client
 * timed out) is retried; the retry must not count it again.
 */
describe('counters with an operation id', () => {
  let proxy: TcpProxy;
  let store: RedisStore;
  const prefix = `test:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    proxy = await TcpProxy.start(Number(new URL(inject('redisUrl')).port));
    store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix, commandTimeoutMs: 250 });
    await store.connect();
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
  });

  it('when the reply of a counted increment is lost and it is retried with the same id, then it counts once', async () => {
    proxy.holdReplies();
    await expect(store.incrWithTtl('attempts', 60_000, 1, { once: 'attempt-1' })).rejects.toThrow();
    proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retried = await store.incrWithTtl('attempts', 60_000, 1, { once: 'attempt-1' });
    expect(retried.value).toBe(1);
    expect(retried.ttlMs).toBeGreaterThan(50_000);
    expect((await store.incrWithTtl('attempts', 60_000, 1, { once: 'attempt-2' })).value).toBe(2);
    expect((await store.incrWithTtl('attempts', 60_000, -1, { once: 'attempt-2:undo' })).value).toBe(1);
    expect((await store.incrWithTtl('attempts', 60_000, -1, { once: 'attempt-2:undo' })).value).toBe(1);
  });

  it('when no id is given, then every increment counts', async () => {
    expect((await store.incrWithTtl('plain', 60_000)).value).toBe(1);
    expect((await store.incrWithTtl('plain', 60_000)).value).toBe(2);
  });
});
