import { createHash } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { bearer, call, connectAnonymous, failure } from '../support/grpc.js';
import { RedisProcess } from '../support/redis-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// The service reaches its own redis-server through a proxy the test can cut.
let redisProcess: RedisProcess;
let proxy: TcpProxy;
let server: TestServer;
let auth: AuthServiceClient;
let users: UserServiceClient;
let redis: Redis;
const COMMAND_TIMEOUT_MS = 200;

beforeAll(async () => {
  redisProcess = await RedisProcess.start();
  proxy = await TcpProxy.start(redisProcess.port);
  server = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) });
  auth = connectAnonymous(AuthServiceClient, server.port);
  users = connectAnonymous(UserServiceClient, server.port);
  // The test's own view of Redis, around the proxy.
  redis = new Redis(redisProcess.url, { keyPrefix: server.config.redisKeyPrefix, lazyConnect: true, maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  auth?.close();
  users?.close();
  redis?.disconnect();
  await server?.close();
  await proxy?.close();
  await redisProcess?.stop();
});

let seq = 0;
const PASSWORD = 'correct horse battery';
async function signedIn(): Promise<{ token: string; id: string }> {
  const email = `outage${Date.now()}${seq++}@example.test`;
  await call(users.createUser, users, {
    user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' },
    password: PASSWORD,
  });
  const res = await call(auth.login, auth, { email, password: PASSWORD });
  return { token: res.sessionToken, id: res.user?.id ?? '' };
}
const whoAmI = (token: string) => call(auth.whoAmI, auth, {}, bearer(token));
const keyOf = (token: string) => `session:${createHash('sha256').update(token).digest('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await check()) return;
  throw new Error('condition not met in time');
}

describe('when Redis is unreachable', () => {
  it('when Redis is frozen, then sessions and logins keep working from PostgreSQL within the command timeout', async () => {
    const { token, id } = await signedIn();
    redisProcess.pause();
    try {
      const started = performance.now();
      expect((await whoAmI(token)).id).toBe(id);
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + 1_000);
      // Now known to be down: the next call does not wait for Redis at all.
      const next = performance.now();
      expect((await whoAmI(token)).id).toBe(id);
      expect(performance.now() - next).toBeLessThan(COMMAND_TIMEOUT_MS);
      // A new login counts its failures in-process and opens a session in PostgreSQL.
      const fresh = await signedIn();
      expect((await whoAmI(fresh.token)).id).toBe(fresh.id);
    } finally {
      redisProcess.resume();
    }
    await until(() => !server.app.sessions.cacheSuspect);
    expect((await whoAmI(token)).id).toBe(id);
  });

  it('when Logout cannot reach Redis and Redis comes back with the old entry, then the token stays revoked', async () => {
    const { token } = await signedIn();
    expect(await redis.get(keyOf(token))).toContain('"u"');
    proxy.partition();
    try {
      await call(auth.logout, auth, {}, bearer(token));
      expect((await failure(whoAmI(token))).code).toBe(status.UNAUTHENTICATED);
    } finally {
      proxy.restore();
    }
    // Redis is back and still holds the live-looking entry the tombstone never replaced...
    expect(await redis.get(keyOf(token))).toContain('"u"');
    // ...yet the token is refused, before and after the cache is settled.
    expect((await failure(whoAmI(token))).code).toBe(status.UNAUTHENTICATED);
    await until(() => !server.app.sessions.cacheSuspect);
    expect(await redis.get(keyOf(token))).toBe('revoked');
    expect((await failure(whoAmI(token))).code).toBe(status.UNAUTHENTICATED);
  });

  it('when Redis restarts empty, then live sessions are served from PostgreSQL and revoked ones stay revoked', async () => {
    const live = await signedIn();
    const revoked = await signedIn();
    await call(auth.logout, auth, {}, bearer(revoked.token));
    await redisProcess.restart();
    await until(async () => (await whoAmI(live.token).catch(() => undefined))?.id === live.id);
    expect((await failure(whoAmI(revoked.token))).code).toBe(status.UNAUTHENTICATED);
    await until(() => !server.app.sessions.cacheSuspect);
    // Once the cache is trusted again, the next call fills it from PostgreSQL.
    expect((await whoAmI(live.token)).id).toBe(live.id);
    expect(await redis.get(keyOf(live.token))).toContain(live.id);
  });

  it('when an anonymous call is made during the outage, then it is not slowed by Redis', async () => {
    proxy.partition();
    try {
      const started = performance.now();
      const me = await call(auth.whoAmI, auth, {}, new Metadata());
      expect(me.id).toBe('anonymous');
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS);
    } finally {
      proxy.restore();
    }
  });
});
