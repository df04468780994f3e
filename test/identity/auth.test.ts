import { createHash, randomBytes } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AuthServiceClient, PrincipalKind } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { RetryInfo } from '../../generated/google/rpc/error_details.js';
import { Status } from '../../generated/google/rpc/status.js';
import { rawClient } from '../support/databases.js';
import { fieldCryptoFor, TEST_KEYS } from '../support/field-keys.js';
import { bearer, call, failure } from '../support/grpc.js';
import { type TestServer, testPasswordHasher, useTestServer } from '../support/test-server.js';

let server: TestServer;
let auth: AuthServiceClient;
let users: UserServiceClient;
let redis: Redis;
const verified: string[] = [];
const serviceToken = randomBytes(32).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

useTestServer(
  {
    env: {
      SERVICE_TOKENS: JSON.stringify([
        { name: 'billing-worker', sha256: sha256(serviceToken), methods: ['campus.identity.v1.AuthService/*'] },
      ]),
      LOGIN_MAX_FAILURES_PER_EMAIL: '3',
      LOGIN_MAX_FAILURES_PER_PEER: '1000',
    },
    overrides: {
      // The real hasher, watched: which hash each login verified against.
      passwordHasher: {
        hash: testPasswordHasher.hash,
        verify: (hash, password) => {
          verified.push(hash);
          return testPasswordHasher.verify(hash, password);
        },
      },
    },
  },
  (s, scope) => {
    server = s;
    scope.onClose(() => {
      redis?.disconnect();
    });
    auth = scope.connectAnonymous(AuthServiceClient);
    users = scope.connectAnonymous(UserServiceClient);
    redis = new Redis(server.config.redisUrl ?? '', { keyPrefix: server.config.redisKeyPrefix });
  },
);

let seq = 0;
const uniqueEmail = () => `auth${Date.now()}${seq++}@example.test`;
const PASSWORD = 'correct horse battery';
async function student(email = uniqueEmail()) {
  const user = await call(users.createUser, users, {
    user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' },
    password: PASSWORD,
  });
  return { user, email };
}
const login = (email: string, password = PASSWORD) => call(auth.login, auth, { email, password });
const whoAmI = (metadata = new Metadata()) => call(auth.whoAmI, auth, {}, metadata);

describe('Login', () => {
  it('when email and password match, then a 256-bit token opens a session that WhoAmI reports', async () => {
    const { user, email } = await student();
    const res = await login(email.toUpperCase());
    expect(res.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(res.sessionToken, 'base64url')).toHaveLength(32);
    expect(res.user?.id).toBe(user.id);
    expect(res.expireTime?.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);

    const me = await whoAmI(bearer(res.sessionToken));
    expect(me).toMatchObject({ kind: PrincipalKind.PRINCIPAL_KIND_USER, id: user.id, allowedMethods: [] });
    expect(me.user?.email).toBe(email);
  });

  it('when a session is opened, then PostgreSQL and Redis hold only the SHA-256 of its token', async () => {
    const { user, email } = await student();
    const { sessionToken } = await login(email);
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      const { rows } = await db.query('select * from sessions where user_id = $1', [user.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toBe(sha256(sessionToken));
      expect(JSON.stringify(rows)).not.toContain(sessionToken);
      expect(rows[0].absolute_expire_time.getTime()).toBeGreaterThan(rows[0].expire_time.getTime());
      expect(rows[0].revoke_time).toBeNull();
    } finally {
      await db.end();
    }
    const cached = await redis.get(`session:${sha256(sessionToken)}`);
    expect(JSON.parse(cached ?? '{}')).toMatchObject({ u: user.id, r: 'student' });
    expect(await redis.pttl(`session:${sha256(sessionToken)}`)).toBeGreaterThan(23 * 3600_000);
  });

  it('when the email is unknown or the password wrong, then the same UNAUTHENTICATED after one argon2id verification each', async () => {
    const { email } = await student();
    verified.length = 0;
    const unknown = await failure(login(uniqueEmail()));
    const wrong = await failure(login(email, 'not the password at all'));
    expect(unknown).toEqual(wrong);
    expect(unknown).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'INVALID_CREDENTIALS' });
    // The unknown email was checked against a dummy hash of the same parameters.
    expect(verified).toHaveLength(2);
    expect(verified[0]?.split('$').slice(0, 4)).toEqual(verified[1]?.split('$').slice(0, 4));
  });

  it('when email or password is empty, then INVALID_ARGUMENT names them', async () => {
    const err = await failure(call(auth.login, auth, { email: '', password: '' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['email', 'password']);
  });

  it('when an email has too many failed logins, then RESOURCE_EXHAUSTED with RetryInfo, even for the right password', async () => {
    const { email } = await student();
    for (let i = 0; i < 3; i++) expect((await failure(login(email, 'wrong password number'))).code).toBe(status.UNAUTHENTICATED);
    const blocked = await login(email).catch((e: { code: number; metadata: Metadata }) => e);
    expect('code' in blocked && blocked.code).toBe(status.RESOURCE_EXHAUSTED);
    const { metadata } = blocked as { metadata: Metadata };
    const details = Status.decode(metadata.get('grpc-status-details-bin')[0] as Buffer).details;
    const retry = details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
    const delay = RetryInfo.decode(retry?.value ?? new Uint8Array()).retryDelay;
    expect(Number(delay?.seconds)).toBeGreaterThan(14 * 60);
    expect(Number(metadata.get('retry-after-ms')[0])).toBeGreaterThan(14 * 60_000);
    // Another email from the same address is not blocked by this one.
    const other = await student();
    expect((await login(other.email)).user?.email).toBe(other.email);
  });

  it('when a login succeeds, then earlier failures of that email stop counting', async () => {
    const { email } = await student();
    for (let i = 0; i < 2; i++) await failure(login(email, 'wrong password number'));
    await login(email);
    for (let i = 0; i < 2; i++) await failure(login(email, 'wrong password number'));
    expect((await login(email)).user?.email).toBe(email);
  });
});

describe('authentication of calls', () => {
  it('when no token is sent, then the caller is anonymous', async () => {
    expect(await whoAmI()).toMatchObject({ kind: PrincipalKind.PRINCIPAL_KIND_ANONYMOUS, id: 'anonymous' });
  });

  it.each([
    ['an unknown session token', `Bearer ${randomBytes(32).toString('base64url')}`, 'INVALID_TOKEN'],
    ['a token of another shape', 'Bearer abc', 'INVALID_TOKEN'],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`, 'MALFORMED_AUTHORIZATION'],
    ['a bare token', randomBytes(32).toString('base64url'), 'MALFORMED_AUTHORIZATION'],
  ])('when the call carries %s, then UNAUTHENTICATED without internals', async (_what, header, reason) => {
    const metadata = new Metadata();
    metadata.set('authorization', header);
    const err = await failure(whoAmI(metadata));
    expect(err).toMatchObject({ code: status.UNAUTHENTICATED, reason });
    expect(err.message).not.toMatch(/at |Error|select|redis/i);
  });

  it('when a service token is sent, then the caller is that service with its methods', async () => {
    const me = await whoAmI(bearer(serviceToken));
    expect(me).toMatchObject({
      kind: PrincipalKind.PRINCIPAL_KIND_SERVICE,
      id: 'billing-worker',
      allowedMethods: ['campus.identity.v1.AuthService/*'],
    });
  });

  it('when a service calls a method outside its list, then PERMISSION_DENIED and nothing happens', async () => {
    const email = uniqueEmail();
    const err = await failure(
      call(
        users.createUser,
        users,
        { user: { id: '', name: 'Svc Made', email, role: Role.ROLE_STUDENT, etag: '' }, password: PASSWORD },
        bearer(serviceToken),
      ),
    );
    expect(err).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'METHOD_NOT_ALLOWED' });
    expect((await failure(login(email))).code).toBe(status.UNAUTHENTICATED);
  });

  it('when the session token is cached, then a call reads the cache and not PostgreSQL', async () => {
    const { email } = await student();
    const { sessionToken } = await login(email);
    // Change the truth behind the cache's back: the cached copy still answers...
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      await db.query('update sessions set revoke_time = now() where token_hash = $1', [sha256(sessionToken)]);
      expect((await whoAmI(bearer(sessionToken))).kind).toBe(PrincipalKind.PRINCIPAL_KIND_USER);
      // ...and once the cache entry is gone, PostgreSQL decides.
      await redis.del(`session:${sha256(sessionToken)}`);
      expect((await failure(whoAmI(bearer(sessionToken)))).code).toBe(status.UNAUTHENTICATED);
    } finally {
      await db.end();
    }
  });

  it('when the cache lost a live session, then PostgreSQL serves it and the cache is filled again', async () => {
    const { user, email } = await student();
    const { sessionToken } = await login(email);
    await redis.del(`session:${sha256(sessionToken)}`);
    expect((await whoAmI(bearer(sessionToken))).id).toBe(user.id);
    expect(await redis.get(`session:${sha256(sessionToken)}`)).toContain(user.id);
  });
});

describe('Logout', () => {
  it('when a user logs out, then the token stops working at once and the cache holds a tombstone', async () => {
    const { email } = await student();
    const { sessionToken } = await login(email);
    const other = await login(email);
    await call(auth.logout, auth, {}, bearer(sessionToken));
    expect((await failure(whoAmI(bearer(sessionToken)))).code).toBe(status.UNAUTHENTICATED);
    expect(await redis.get(`session:${sha256(sessionToken)}`)).toBe('revoked');
    // Only that session: the user's other session still works.
    expect((await whoAmI(bearer(other.sessionToken))).kind).toBe(PrincipalKind.PRINCIPAL_KIND_USER);
    // Even with the cache emptied, PostgreSQL says revoked.
    await redis.del(`session:${sha256(sessionToken)}`);
    expect((await failure(whoAmI(bearer(sessionToken)))).code).toBe(status.UNAUTHENTICATED);
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      const { rows } = await db.query('select revoke_time from sessions where token_hash = $1', [sha256(sessionToken)]);
      expect(rows[0].revoke_time).toBeInstanceOf(Date);
    } finally {
      await db.end();
    }
  });

  it('when an anonymous caller or a service logs out, then UNAUTHENTICATED or FAILED_PRECONDITION', async () => {
    expect((await failure(call(auth.logout, auth, {}))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(call(auth.logout, auth, {}, bearer(serviceToken)))).code).toBe(status.FAILED_PRECONDITION);
  });

  it('when all sessions of a user are revoked, then none of its tokens works', async () => {
    const { user, email } = await student();
    const tokens = [(await login(email)).sessionToken, (await login(email)).sessionToken];
    expect(await server.app.sessions.revokeAllOfUser(user.id, server.admin.id)).toBe(2);
    for (const token of tokens) expect((await failure(whoAmI(bearer(token)))).code).toBe(status.UNAUTHENTICATED);
  });
});

describe('who may create users', () => {
  const create = (role: Role, metadata = new Metadata()) =>
    call(
      users.createUser,
      users,
      { user: { id: '', name: 'New Person', email: uniqueEmail(), role, etag: '' }, password: PASSWORD },
      metadata,
    );

  it('when an anonymous caller creates an instructor or an admin, then UNAUTHENTICATED', async () => {
    for (const role of [Role.ROLE_INSTRUCTOR, Role.ROLE_ADMIN]) {
      expect(await failure(create(role))).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'ADMIN_REQUIRED' });
    }
  });

  it('when a student creates an instructor, then PERMISSION_DENIED', async () => {
    const { email } = await student();
    const err = await failure(create(Role.ROLE_INSTRUCTOR, await server.signIn(email, PASSWORD)));
    expect(err).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'ADMIN_REQUIRED' });
  });

  it('when the bootstrap admin creates an instructor and an admin, then both exist', async () => {
    const admin = await server.asAdmin();
    expect((await create(Role.ROLE_INSTRUCTOR, admin)).role).toBe(Role.ROLE_INSTRUCTOR);
    expect((await create(Role.ROLE_ADMIN, admin)).role).toBe(Role.ROLE_ADMIN);
    const me = await whoAmI(admin);
    expect(me.user).toMatchObject({ email: server.admin.email, role: Role.ROLE_ADMIN });
  });
});

describe('logs', () => {
  it('when users sign up, sign in and call, then no email, name, password, token or key reaches the log', async () => {
    const email = uniqueEmail();
    const password = `secret ${randomBytes(9).toString('hex')}`;
    await call(users.createUser, users, { user: { id: '', name: 'Log Watcher', email, role: Role.ROLE_STUDENT, etag: '' }, password });
    await failure(login(email, 'wrong password for logs'));
    const { sessionToken } = await login(email, password);
    await whoAmI(bearer(sessionToken));
    await call(auth.logout, auth, {}, bearer(sessionToken));
    await failure(whoAmI(bearer(sessionToken)));
    const text = JSON.stringify(server.logs);
    expect(server.logs.filter((l) => l.msg === 'rpc').length).toBeGreaterThan(5);
    for (const secret of [
      email,
      email.toLowerCase(),
      password,
      sessionToken,
      sha256(sessionToken),
      server.admin.email,
      server.admin.password,
      'Log Watcher',
      fieldCryptoFor().blindIndex.ofEmail(email),
      ...[TEST_KEYS.a, TEST_KEYS.blindIndex].map((key) => key.split(':').at(-1) ?? key),
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('when no TLS files are set, then the log warns that gRPC is plaintext', () => {
    expect(server.logs.some((l) => l.level === 40 && String(l.msg).includes('plaintext'))).toBe(true);
  });
});
