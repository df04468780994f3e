import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import type { CachedResource } from '../../src/cache/cached-resource.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { openPostgres, type PostgresOrm } from '../../src/db/postgres.js';
import { UserSchema } from '../../src/identity/user.entity.js';
import { CacheMetrics } from '../../src/metrics/cache-metrics.js';
import { freePort } from '../../src/server/free-port.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { fieldCryptoFor, sealedUser } from '../support/field-keys.js';

/** The slice of a user row this test caches. */
interface UserView {
  readonly id: string;
  readonly name: string;
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let orm: PostgresOrm;
let port: number;
let redis: ChildProcess | undefined;
let store: RedisStore;
let admin: Redis;
let cache: Cache;
let users: CachedResource<string, UserView>;
let registry: Registry;
let loads = 0;
const prefix = `test:${randomBytes(4).toString('hex')}:`;
const ids: string[] = [];

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const up = await probe
      .connect()
      .then(() => probe.ping())
      .then(
        () => true,
        () => false,
      );
    probe.disconnect();
    if (up) return;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

/** Reads random users with `concurrency` workers for `ms`; counts reads that failed or were wrong. */
async function readUnderLoad(ms: number, concurrency = 8): Promise<{ reads: number; failures: number }> {
  const until = Date.now() + ms;
  let reads = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (Date.now() < until) {
        try {
          if (worker % 2 === 0) {
            const id = ids[Math.floor(Math.random() * ids.length)] as string;
            if ((await users.get(id))?.id !== id) failures++;
          } else {
            const batch = [ids[Math.floor(Math.random() * ids.length)] as string, ids[Math.floor(Math.random() * ids.length)] as string];
            const found = await users.getMany(batch);
            if (!batch.every((id) => found.get(id)?.id === id)) failures++;
          }
        } catch {
          failures++;
        }
        reads++;
        await sleep(1);
      }
    }),
  );
  return { reads, failures };
}

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000, fieldCrypto: fieldCryptoFor() });
  await orm.migrator.up();
  const pg = await rawClient(db.url);
  try {
    for (let i = 0; i < 40; i++) {
      const id = uuidv7();
      ids.push(id);
      const sealed = sealedUser(`User ${i}`, `u${i}-${id}@example.test`);
      await pg.query(
        `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time)
         values ($1, $2, $3, $4, 'student', 'x', now(), now())`,
        [id, sealed.name, sealed.email, sealed.emailKey],
      );
    }
  } finally {
    await pg.end();
  }
  port = await freePort();
  await startRedis();
  store = new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, commandTimeoutMs: 100 });
  await store.connect();
  admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  registry = new Registry();
  cache = new Cache(store, {
    ttlMs: 60_000,
    negativeTtlMs: 5_000,
    metrics: new CacheMetrics(registry),
    replayIntervalMs: 100,
    breaker: { failures: 3, openMs: 200 },
  });
  users = cache.resource<string, UserView>({
    name: 'user',
    version: 1,
    load: async (keys) => {
      loads++;
      const rows = await orm.em.fork().find(UserSchema, { id: { $in: [...keys] } });
      return new Map(rows.map((u) => [u.id, { id: u.id, name: u.name }]));
    },
  });
});

afterAll(async () => {
  cache?.close();
  await store?.close();
  admin?.disconnect();
  if (redis?.pid && redis.exitCode === null) redis.kill('SIGCONT');
  await stopRedis();
  await orm?.close();
  await db?.drop();
});

describe('Redis outage', () => {
  it('when Redis is killed mid-load and restarted on the same port, then no read fails and the cache fills again', async () => {
    const before = await readUnderLoad(600);
    expect(await metric('cache_gets_total', { result: 'hit' })).toBeGreaterThan(0);

    const during = readUnderLoad(1_200);
    await sleep(300);
    const loadsAtKill = loads;
    await stopRedis();
    // A write commits while Redis is down; its invalidation must not throw.
    const changed = ids[0] as string;
    await orm.em
      .fork()
      .getConnection()
      .execute(`update users set name = ? where id = ?`, [sealedUser('Renamed during outage', '').name, changed]);
    await users.invalidate([changed]);
    const outage = await during;
    // Without Redis every read went to PostgreSQL.
    expect(loads - loadsAtKill).toBeGreaterThan(20);
    expect(await metric('cache_errors_total', {})).toBeGreaterThan(0);

    await startRedis();
    for (let i = 0; i < 100 && !(await store.ping()); i++) await sleep(50);
    const hitsBefore = await metric('cache_gets_total', { result: 'hit' });
    const after = await readUnderLoad(800);
    const hitsAfter = await metric('cache_gets_total', { result: 'hit' });

    expect(before.failures + outage.failures + after.failures).toBe(0);
    expect(outage.reads).toBeGreaterThan(50);
    expect(hitsAfter - hitsBefore).toBeGreaterThan(after.reads / 2);
    expect((await users.get(changed))?.name).toBe('Renamed during outage');
    expect(cache.pendingInvalidations).toBe(0);
  });

  it('when an invalidation fails because Redis hangs, then the old entry is never served and the invalidation is replayed', async () => {
    const id = ids[1] as string;
    await users.get(id);
    await users.get(id); // cached now
    const child = redis as ChildProcess;
    child.kill('SIGSTOP');
    try {
      await orm.em
        .fork()
        .getConnection()
        .execute(`update users set name = ? where id = ?`, [sealedUser('Renamed while Redis hung', '').name, id]);
      await users.invalidate([id]);
      expect(cache.pendingInvalidations).toBe(1);
      expect((await users.get(id))?.name).toBe('Renamed while Redis hung');
    } finally {
      child.kill('SIGCONT');
    }
    for (let i = 0; i < 50 && cache.pendingInvalidations > 0; i++) await sleep(50);
    expect(cache.pendingInvalidations).toBe(0);
    // The entry cached before the hang is gone from Redis, so nobody else can read it either.
    expect(await admin.get(`${prefix}${users.keyOf(id)}`)).toBeNull();
    expect((await users.get(id))?.name).toBe('Renamed while Redis hung');
  });

  it('when the scenarios are over, then every key under the test prefix has a TTL', async () => {
    await readUnderLoad(200);
    let cursor = '0';
    const keys: string[] = [];
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(ids.length);
    expect(keys.some((k) => k.endsWith(':gen'))).toBe(true);
    const pipeline = admin.pipeline();
    for (const key of keys) pipeline.pttl(key);
    const ttls = ((await pipeline.exec()) ?? []).map(([, ttl]) => ttl as number);
    expect(ttls.filter((ttl) => ttl < 0)).toEqual([]);
  });
});
