import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser, uniqueEmail } from '../support/builders.js';
import { fieldCryptoFor, TEST_KEYS } from '../support/field-keys.js';
import { insertCatalogItem, newRequestId } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let users: UserServiceClient;
let auth: AuthServiceClient;
let enrollments: EnrollmentServiceClient;
let db: pg.Client;
const { keyRing, blindIndex } = fieldCryptoFor();

useTestServer({}, async (s, scope) => {
  server = s;
  users = scope.connect(UserServiceClient);
  auth = scope.connect(AuthServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});

const userRow = async (id: string) =>
  (await db.query<{ name: string; email: string; email_key: string }>('select name, email, email_key from users where id = $1', [id]))
    .rows[0];

describe('personal data at rest', () => {
  it('when a user signs up and enrolls in a paid item, then the rows hold no plaintext email, name or provider reference', async () => {
    const email = uniqueEmail();
    const user = await createUser(users, { name: 'Hedy Lamarr', email });
    const item = await insertCatalogItem(db, { priceAmount: 4_900n, currency: 'EUR' });
    const enrollment = await call(enrollments.enroll, enrollments, { userId: user.id, catalogItemId: item.id, requestId: newRequestId() });

    const row = await userRow(user.id);
    const { rows: payments } = await db.query<{ provider_ref: string }>('select provider_ref from payments where enrollment_id = $1', [
      enrollment.id,
    ]);
    const stored = JSON.stringify({ row, payments });
    for (const plain of [email, email.toLowerCase(), 'Hedy', 'Lamarr', 'local_']) expect(stored).not.toContain(plain);
    expect(row?.name).toMatch(/^v1\.test-a\.[A-Za-z0-9_-]+$/);
    expect(row?.email).toMatch(/^v1\.test-a\.[A-Za-z0-9_-]+$/);
    // The blind index is an HMAC, not the email; it is what equal emails share.
    expect(row?.email_key).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.email_key).toBe(blindIndex.ofEmail(` ${email.toUpperCase()} `));
    expect(payments).toHaveLength(1);
    expect(keyRing.open(payments[0]?.provider_ref ?? '', 'payments.provider_ref')).toMatch(/^local_[0-9a-f]{24}$/);
    // ...and the service still answers in plaintext.
    expect(await call(users.getUser, users, { id: user.id })).toMatchObject({ name: 'Hedy Lamarr', email });
  });

  it('when one name is sealed twice, then the stored values differ (a random IV per value)', async () => {
    const a = await createUser(users, { name: 'Same Name' });
    const b = await createUser(users, { name: 'Same Name' });
    expect((await userRow(a.id))?.name).not.toBe((await userRow(b.id))?.name);
  });

  it('when the email differs only in case, then sign-up is ALREADY_EXISTS and Login (case and spaces ignored) finds the user', async () => {
    const email = uniqueEmail();
    const user = await createUser(users, { email }, 'correct horse battery');
    const err = await failure(createUser(users, { email: email.toUpperCase() }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.reason).toBe('EMAIL_TAKEN');
    const session = await call(auth.login, auth, { email: ` ${email.toUpperCase()} `, password: 'correct horse battery' });
    expect(session.user?.id).toBe(user.id);
  });

  it('when UpdateUser changes the email, then the old email is free, the new one taken, and Login uses the new one', async () => {
    const [before, after] = [uniqueEmail(), uniqueEmail()];
    const user = await createUser(users, { email: before }, 'correct horse battery');
    await call(users.updateUser, users, { user: { ...user, email: after.toUpperCase() }, updateMask: ['email'] });
    expect((await userRow(user.id))?.email_key).toBe(blindIndex.ofEmail(after));
    expect((await failure(createUser(users, { email: after }))).code).toBe(status.ALREADY_EXISTS);
    expect((await createUser(users, { email: before })).id).not.toBe(user.id);
    const session = await call(auth.login, auth, { email: after, password: 'correct horse battery' });
    expect(session.user?.id).toBe(user.id);
  });

  it('when a sealed value is tampered with, then GetUser fails INTERNAL without leaking, and the log names only the column', async () => {
    const email = uniqueEmail();
    const user = await createUser(users, { name: 'Tampered Target', email });
    const sealed = (await userRow(user.id))?.email ?? '';
    // Flip one bit of the ciphertext body.
    const body = Buffer.from(sealed.split('.')[2] ?? '', 'base64url');
    body[14] = (body[14] ?? 0) ^ 1;
    await db.query('update users set email = $2 where id = $1', [user.id, `v1.test-a.${body.toString('base64url')}`]);
    const err = await failure(call(users.getUser, users, { id: user.id }));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.message).toBe('internal error');
    const logged = server.logs.filter((l) => JSON.stringify(l).includes('failed authentication'));
    expect(logged.length).toBeGreaterThan(0);
    const text = JSON.stringify(server.logs);
    for (const secret of [email, 'Tampered Target', sealed, TEST_KEYS.a.split(':')[1] ?? '', TEST_KEYS.blindIndex]) {
      expect(text).not.toContain(secret);
    }
  });

  it('when a sealed value is moved to another column, then it does not open there (INTERNAL, not the other value)', async () => {
    const user = await createUser(users, { name: 'Column Swap' });
    await db.query('update users set name = email where id = $1', [user.id]);
    const err = await failure(call(users.getUser, users, { id: user.id }));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.message).toBe('internal error');
  });

  it('when a row is sealed under a key the service does not hold, then reading it fails INTERNAL', async () => {
    const user = await createUser(users);
    const other = fieldCryptoFor({ ENCRYPTION_KEYS: TEST_KEYS.b, BLIND_INDEX_KEY: TEST_KEYS.blindIndex });
    await db.query('update users set name = $2 where id = $1', [user.id, other.keyRing.seal('Someone', 'users.name')]);
    expect((await failure(call(users.getUser, users, { id: user.id }))).code).toBe(status.INTERNAL);
  });

  it('when a plaintext value is written with SQL, then the check constraint refuses it', async () => {
    const user = await createUser(users);
    await expect(db.query(`update users set name = 'Plain Name' where id = $1`, [user.id])).rejects.toThrow(/users_name_sealed_check/);
    await expect(db.query(`update users set email_key = 'a@example.test' where id = $1`, [user.id])).rejects.toThrow(
      /users_email_key_check/,
    );
  });
});
