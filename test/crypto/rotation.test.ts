import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { type User, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { resealPersonalData } from '../../src/crypto/reseal.js';
import { createUser } from '../support/builders.js';
import { rawClient } from '../support/databases.js';
import { fieldCryptoFor, TEST_KEYS } from '../support/field-keys.js';
import { insertCatalogItem, newRequestId } from '../support/fixtures.js';
import { call, connect, failure } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const KEYS_B_A = { ENCRYPTION_KEYS: `${TEST_KEYS.b},${TEST_KEYS.a}`, BLIND_INDEX_KEY: TEST_KEYS.blindIndex };
const KEYS_B = { ENCRYPTION_KEYS: TEST_KEYS.b, BLIND_INDEX_KEY: TEST_KEYS.blindIndex };

const servers: TestServer[] = [];
let underA: TestServer;
const written: User[] = [];

/** A server over underA's database with other keys: the same data, restarted with a new ENCRYPTION_KEYS. */
const restartWith = async (env: Record<string, string>) => {
  const server = await startTestServer({ ...env, DATABASE_URL: underA.config.databaseUrl ?? '' });
  servers.unshift(server);
  return server;
};

const sealedKids = async () => {
  const db = await rawClient(underA.config.databaseUrl ?? '');
  try {
    const { rows } = await db.query<{ kid: string }>(
      `select split_part(name, '.', 2) kid from users union all select split_part(email, '.', 2) from users
       union all select split_part(provider_ref, '.', 2) from payments where provider_ref is not null`,
    );
    return new Set(rows.map((r) => r.kid));
  } finally {
    await db.end();
  }
};

beforeAll(async () => {
  underA = await startTestServer();
  servers.push(underA);
  const users = connect(UserServiceClient, underA.port);
  const enrollments = connect(EnrollmentServiceClient, underA.port);
  const db = await rawClient(underA.config.databaseUrl ?? '');
  try {
    for (const name of ['Rosalind Franklin', 'Emmy Noether', 'Lise Meitner'])
      written.push(await createUser(users, { name }, 'correct horse battery'));
    const item = await insertCatalogItem(db, { priceAmount: 1_500n });
    await call(enrollments.enroll, enrollments, { userId: written[0]?.id ?? '', catalogItemId: item.id, requestId: newRequestId() });
  } finally {
    users.close();
    enrollments.close();
    await db.end();
  }
});

afterAll(async () => {
  // The first server owns the database: it goes last.
  for (const server of servers) await server.close();
});

describe('key rotation', () => {
  it('when rows sealed under A are read with B,A, re-sealed, and A is removed, then every row still reads the same', async () => {
    expect(await sealedKids()).toEqual(new Set(['test-a']));

    // 1. New key first, old key kept: old rows read, new rows are sealed under B.
    const underBA = await restartWith(KEYS_B_A);
    const usersBA = connect(UserServiceClient, underBA.port);
    try {
      for (const user of written)
        expect(await call(usersBA.getUser, usersBA, { id: user.id })).toMatchObject({ name: user.name, email: user.email });
      written.push(await createUser(usersBA, { name: 'Chien-Shiung Wu' }, 'correct horse battery'));
    } finally {
      usersBA.close();
    }
    expect(await sealedKids()).toEqual(new Set(['test-a', 'test-b']));

    // 2. Re-seal everything under the first key; a second run has nothing left to do.
    const crypto = fieldCryptoFor(KEYS_B_A);
    const first = await resealPersonalData(underBA.app.stores.pg.em.fork(), crypto, { batchSize: 2 });
    expect(first.failed).toEqual([]);
    expect(first.users.changed).toBeGreaterThanOrEqual(written.length - 1);
    expect(first.payments.changed).toBe(1);
    expect(await sealedKids()).toEqual(new Set(['test-b']));
    const second = await resealPersonalData(underBA.app.stores.pg.em.fork(), crypto, { batchSize: 2 });
    expect(second.users.changed + second.payments.changed).toBe(0);
    expect(second.users.scanned).toBe(first.users.scanned);

    // 3. Old key removed: everything still reads, and sign-in by email still works.
    const underB = await restartWith(KEYS_B);
    const usersB = connect(UserServiceClient, underB.port);
    const authB = connect(AuthServiceClient, underB.port);
    try {
      for (const user of written)
        expect(await call(usersB.getUser, usersB, { id: user.id })).toMatchObject({ name: user.name, email: user.email });
      const session = await call(authB.login, authB, { email: written[0]?.email ?? '', password: 'correct horse battery' });
      expect(session.user?.id).toBe(written[0]?.id);
    } finally {
      usersB.close();
      authB.close();
    }

    // A process that only knows A can no longer open anything: the data really moved to B.
    const usersA = connect(UserServiceClient, underA.port);
    try {
      expect((await failure(call(usersA.getUser, usersA, { id: written[1]?.id ?? '' }))).code).toBe(status.INTERNAL);
    } finally {
      usersA.close();
    }
  });
});
