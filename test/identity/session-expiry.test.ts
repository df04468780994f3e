import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { rawClient } from '../support/databases.js';
import { bearer, call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

// Short lives so that expiry happens within a test: 1.5 s idle, 3 s at most.
const IDLE_MS = 1_500;
const MAX_MS = 3_000;
let server: TestServer;
let auth: AuthServiceClient;
let users: UserServiceClient;

useTestServer({ env: { SESSION_IDLE_TTL_MS: String(IDLE_MS), SESSION_MAX_TTL_MS: String(MAX_MS) } }, (s, scope) => {
  server = s;
  auth = scope.connectAnonymous(AuthServiceClient);
  users = scope.connectAnonymous(UserServiceClient);
});

let seq = 0;
const PASSWORD = 'correct horse battery';
async function login(): Promise<{ token: string; loginAt: number }> {
  const email = `expiry${Date.now()}${seq++}@example.test`;
  await call(users.createUser, users, {
    user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' },
    password: PASSWORD,
  });
  const loginAt = Date.now();
  return { token: (await call(auth.login, auth, { email, password: PASSWORD })).sessionToken, loginAt };
}
const whoAmI = (token: string) => call(auth.whoAmI, auth, {}, bearer(token));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('session expiry', () => {
  it('when a session is used, then its idle expiry slides in PostgreSQL; when it is left idle, then it expires', async () => {
    const { token, loginAt } = await login();
    // Used every 500 ms for longer than the idle TTL: it keeps working.
    while (Date.now() - loginAt < IDLE_MS + 700) {
      await sleep(500);
      await whoAmI(token);
    }
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      const { rows } = await db.query('select create_time, expire_time from sessions order by create_time desc limit 1');
      expect(rows[0].expire_time.getTime() - rows[0].create_time.getTime()).toBeGreaterThan(IDLE_MS + 500);
    } finally {
      await db.end();
    }
    await sleep(IDLE_MS + 200);
    expect(await failure(whoAmI(token))).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'INVALID_TOKEN' });
  });

  it('when a session is used all the time, then it still ends at the absolute cap', async () => {
    const { token, loginAt } = await login();
    while (Date.now() - loginAt < MAX_MS - 400) {
      await whoAmI(token);
      await sleep(300);
    }
    await sleep(Math.max(0, loginAt + MAX_MS + 100 - Date.now()));
    expect((await failure(whoAmI(token))).code).toBe(status.UNAUTHENTICATED);
  });
});
