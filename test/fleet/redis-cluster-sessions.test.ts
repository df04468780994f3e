import { createHash, randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient, PrincipalKind } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { rawClient } from '../support/databases.js';
import { bearer, call, connectAnonymous, failure } from '../support/grpc.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Two replicas of the service (one database) over a 3-master Redis Cluster
// with a replica per master; the last test kills a master.
const MAX_FAILURES = 5;
let cluster: RedisCluster;
let a: TestServer;
let b: TestServer;
let authA: AuthServiceClient;
let authB: AuthServiceClient;
let users: UserServiceClient;
let inspect: Cluster;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  const env = {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_CLUSTER_FAILOVER_WAIT_MS: '10000',
    REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    LOGIN_MAX_FAILURES_PER_EMAIL: String(MAX_FAILURES),
    LOGIN_MAX_FAILURES_PER_PEER: '1000',
  };
  a = await startTestServer(env);
  b = await startTestServer({ ...env, DATABASE_URL: a.config.databaseUrl ?? '' });
  authA = connectAnonymous(AuthServiceClient, a.port);
  authB = connectAnonymous(AuthServiceClient, b.port);
  users = connectAnonymous(UserServiceClient, a.port);
  inspect = new Cluster(
    cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
    { keyPrefix: env.REDIS_KEY_PREFIX },
  );
  inspect.on('error', () => undefined);
}, 90_000);

afterAll(async () => {
  authA?.close();
  authB?.close();
  users?.close();
  inspect?.disconnect();
  await b?.close();
  await a?.close();
  await cluster?.stop();
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const PASSWORD = 'correct horse battery';
let seq = 0;
async function student() {
  const email = `fleet${Date.now()}${seq++}@example.test`;
  const user = await call(users.createUser, users, {
    user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' },
    password: PASSWORD,
  });
  return { id: user.id, email };
}
const login = (auth: AuthServiceClient, email: string, password = PASSWORD) => call(auth.login, auth, { email, password });
const whoAmI = (auth: AuthServiceClient, token: string) => call(auth.whoAmI, auth, {}, bearer(token));
const sessionKey = (token: string) => `session:${sha256(token)}`;
const counterKey = (email: string) => `login-failures:email:${sha256(email)}`;
const stored = (key: string) => `${a.config.redisKeyPrefix}${key}`;
/** Both replicas alternately, starting with `a`. */
const replica = (i: number) => (i % 2 === 0 ? authA : authB);

async function localCounts(server: TestServer): Promise<number> {
  const metric = await server.app.registry.getSingleMetric('campus_auth_events_total')?.get();
  return metric?.values.find((v) => v.labels.event === 'login_limits_local')?.value ?? 0;
}

describe('sessions and login limits on a Redis Cluster, two replicas', () => {
  it('when a user signs in on one replica, then the other serves its calls from the session cached in the cluster', async () => {
    const { id, email } = await student();
    const { sessionToken } = await login(authA, email);
    expect(JSON.parse((await inspect.get(sessionKey(sessionToken))) ?? '{}')).toMatchObject({ u: id });
    // The truth changes behind the cache: b's answer is the cluster's copy, not PostgreSQL's.
    const db = await rawClient(a.config.databaseUrl ?? '');
    try {
      await db.query('update sessions set revoke_time = now() where token_hash = $1', [sha256(sessionToken)]);
    } finally {
      await db.end();
    }
    expect((await whoAmI(authB, sessionToken)).id).toBe(id);
    expect(a.app.sessions.cacheSuspect || b.app.sessions.cacheSuspect).toBe(false);
  });

  it('when a user logs out on one replica, then the token stops working on the other at once', async () => {
    const { email } = await student();
    const { sessionToken } = await login(authA, email);
    expect((await whoAmI(authB, sessionToken)).kind).toBe(PrincipalKind.PRINCIPAL_KIND_USER);
    await call(authA.logout, authA, {}, bearer(sessionToken));
    expect((await failure(whoAmI(authB, sessionToken))).code).toBe(status.UNAUTHENTICATED);
    expect(await inspect.get(sessionKey(sessionToken))).toBe('revoked');
  });

  it('when wrong passwords are tried on both replicas in turn, then the limit counts them together', async () => {
    const { email } = await student();
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await failure(login(replica(i), email, 'wrong password number'))).code).toBe(status.UNAUTHENTICATED);
    }
    expect((await failure(login(authA, email))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await failure(login(authB, email))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await localCounts(a)).toBe(0);
    expect(await localCounts(b)).toBe(0);
  });

  it('when no replica confirms a tombstone in time, then the replica checks sessions in PostgreSQL until the cluster holds it', async () => {
    const { email } = await student();
    const { sessionToken } = await login(authA, email);
    const replicaPort = await cluster.replicaOf(await cluster.masterOf(stored(sessionKey(sessionToken))));
    cluster.pause(replicaPort);
    try {
      await call(authA.logout, authA, {}, bearer(sessionToken));
      expect(a.app.sessions.cacheSuspect).toBe(true);
      expect((await failure(whoAmI(authA, sessionToken))).code).toBe(status.UNAUTHENTICATED);
    } finally {
      cluster.resume(replicaPort);
    }
    const deadline = Date.now() + 10_000;
    while (a.app.sessions.cacheSuspect && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.app.sessions.cacheSuspect).toBe(false);
    expect(await inspect.get(sessionKey(sessionToken))).toBe('revoked');
    expect((await failure(whoAmI(authB, sessionToken))).code).toBe(status.UNAUTHENTICATED);
  });

  it('when the master holding a login counter and a tombstone is killed, then logins wait for its replica, and neither the count nor the revocation is lost', async () => {
    const masterOf = await cluster.masters();
    const guessed = await student();
    const victim = masterOf(stored(counterKey(guessed.email)));
    // Sessions of another user whose cache keys live on the same master.
    const owner = await student();
    const onVictim: string[] = [];
    while (onVictim.length < 2) {
      const { sessionToken } = await login(authA, owner.email);
      if (masterOf(stored(sessionKey(sessionToken))) === victim) onVictim.push(sessionToken);
    }
    const [revoked, live] = onVictim as [string, string];
    for (let i = 0; i < 3; i++)
      expect((await failure(login(replica(i), guessed.email, 'wrong password number'))).code).toBe(status.UNAUTHENTICATED);
    await call(authB.logout, authB, {}, bearer(revoked));

    const killedAt = performance.now();
    await cluster.kill(victim);
    // At once, while the master's replica has not taken over yet: sessions are decided in PostgreSQL.
    expect((await whoAmI(authA, live)).id).toBe(owner.id);
    expect((await whoAmI(authB, live)).id).toBe(owner.id);
    expect((await failure(whoAmI(authA, revoked))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(whoAmI(authB, revoked))).code).toBe(status.UNAUTHENTICATED);
    // The remaining guesses wait for the failover and count on the promoted replica.
    for (let i = 3; i < MAX_FAILURES; i++) {
      expect((await failure(login(replica(i), guessed.email, 'wrong password number'))).code).toBe(status.UNAUTHENTICATED);
    }
    const guessesDoneMs = performance.now() - killedAt;
    expect((await failure(login(authA, guessed.email))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await failure(login(authB, guessed.email))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await localCounts(a)).toBe(0);
    expect(await localCounts(b)).toBe(0);

    await cluster.waitUntilHealthy();
    expect(masterOf(stored(counterKey(guessed.email)))).toBe(victim);
    expect((await cluster.masters())(stored(counterKey(guessed.email)))).not.toBe(victim);
    expect(await inspect.get(sessionKey(revoked))).toBe('revoked');
    expect(Number(await inspect.get(counterKey(guessed.email)))).toBeGreaterThanOrEqual(MAX_FAILURES);
    for (const auth of [authA, authB]) {
      expect((await failure(whoAmI(auth, revoked))).code).toBe(status.UNAUTHENTICATED);
      expect((await whoAmI(auth, live)).id).toBe(owner.id);
    }
    console.info(`failover: the guesses after the kill were answered ${guessesDoneMs.toFixed(0)} ms after it`);
  }, 60_000);
});
