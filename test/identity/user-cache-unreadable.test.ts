import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { decodeEntry, encodeEntry } from '../../src/cache/cache-entry.js';
import { createUser } from '../support/builders.js';
import { fieldCryptoFor, TEST_KEYS } from '../support/field-keys.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// A cached value this process cannot open (e.g. sealed under a key it no
// longer holds, after its keys were reset while Redis kept its entries) is a
// miss: dropped, counted, and never the caller's error.
let server: TestServer;
let client: UserServiceClient;
let redis: Redis;

beforeAll(async () => {
  // No near cache: every read goes to Redis, where the foreign entry is.
  server = await startTestServer({ CACHE_NEAR_TTL_MS: '0' });
  client = connect(UserServiceClient, server.port);
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  redis?.disconnect();
  client?.close();
  await server?.close();
});

const CONTEXT = 'cache.user';
const ours = fieldCryptoFor().keyRing;
const foreign = fieldCryptoFor({ ENCRYPTION_KEYS: TEST_KEYS.b, BLIND_INDEX_KEY: TEST_KEYS.blindIndex }).keyRing;

async function unreadableCount(): Promise<number> {
  const values = (await server.app.registry.getSingleMetric('cache_unreadable_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.cache === 'user')?.value ?? 0;
}

describe('GetUser over a cache entry sealed under another key', () => {
  it('when the cached profile was sealed under a key the service does not hold, then GetUser answers from PostgreSQL, counts and replaces the entry', async () => {
    const user = await createUser(client, { name: 'Sealed Elsewhere' });
    await call(client.getUser, client, { id: user.id });
    const key = `${server.config.redisKeyPrefix}v2:user:{${user.id}}`;
    const cached = decodeEntry((await redis.get(key)) ?? '');
    if (!cached?.found) throw new Error('GetUser did not cache the profile');
    const resealed = foreign.seal(ours.open(cached.payload, CONTEXT), CONTEXT);
    await redis.set(key, encodeEntry({ ...cached, payload: resealed }), 'PX', 60_000);
    const before = await unreadableCount();

    expect(await call(client.getUser, client, { id: user.id })).toEqual(user);

    expect(await unreadableCount()).toBe(before + 1);
    const after = decodeEntry((await redis.get(key)) ?? '');
    expect(after?.found).toBe(true);
    expect(ours.open(after?.found ? after.payload : '', CONTEXT)).toContain('Sealed Elsewhere');
    expect(await call(client.getUser, client, { id: user.id })).toEqual(user);
    expect(await unreadableCount()).toBe(before + 1);
  });
});
