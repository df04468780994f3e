import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Role, type User, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { rawClient } from '../support/databases.js';
import { fieldCryptoFor } from '../support/field-keys.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: UserServiceClient;

useTestServer({}, (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
});

let seq = 0;
const uniqueEmail = () => `user${Date.now()}${seq++}@example.test`;
const createUser = (user: Partial<User>, password = 'correct horse battery') =>
  call(client.createUser, client, {
    user: { id: '', name: 'Ada Lovelace', email: uniqueEmail(), role: Role.ROLE_STUDENT, etag: '', ...user },
    password,
  });

describe('CreateUser', () => {
  it('when the user is valid, then it is created with a v7 id and can be read back', async () => {
    const created = await createUser({ name: 'Ada Lovelace', email: 'Ada@Example.test', role: Role.ROLE_STUDENT });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created).toMatchObject({ name: 'Ada Lovelace', email: 'Ada@Example.test', role: Role.ROLE_STUDENT, etag: '1' });
    expect(created.createTime).toBeInstanceOf(Date);

    const read = await call(client.getUser, client, { id: created.id });
    expect(read).toEqual(created);
  });

  it('when the role is unspecified, then the user is a student', async () => {
    const created = await createUser({ role: Role.ROLE_UNSPECIFIED });
    expect(created.role).toBe(Role.ROLE_STUDENT);
  });

  it('when the password is stored, then only an argon2id hash is kept', async () => {
    const created = await createUser({}, 'a very secret passphrase');
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      const { rows } = await db.query<{ password_hash: string }>('select password_hash from users where id = $1', [created.id]);
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
      expect(rows[0]?.password_hash).not.toContain('a very secret passphrase');
    } finally {
      await db.end();
    }
  });

  it('when name, email and password are all bad, then INVALID_ARGUMENT names each field', async () => {
    const err = await failure(createUser({ name: '  ', email: 'not-an-email' }, 'short'));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.reason).toBe('INVALID_FIELDS');
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['password', 'user.email', 'user.name']);
  });

  it('when the user message is missing, then name and email are reported', async () => {
    const err = await failure(call(client.createUser, client, { user: undefined, password: 'correct horse battery' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['user.email', 'user.name']);
  });

  it('when the role is not a known enum value, then INVALID_ARGUMENT names user.role', async () => {
    const err = await failure(createUser({ role: 42 as Role }));
    expect(err.fieldViolations).toEqual([{ field: 'user.role', reason: 'INVALID_ENUM' }]);
  });

  it('when the email is taken in another case, then ALREADY_EXISTS and nothing is written', async () => {
    const email = uniqueEmail();
    await createUser({ email });
    const err = await failure(createUser({ email: email.toUpperCase(), name: 'Someone Else' }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.reason).toBe('EMAIL_TAKEN');
    const db = await rawClient(server.config.databaseUrl ?? '');
    try {
      const { rows } = await db.query('select 1 from users where email_key = $1', [fieldCryptoFor().blindIndex.ofEmail(email)]);
      expect(rows).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it('when the same email signs up twice at once, then exactly one succeeds', async () => {
    const email = uniqueEmail();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => createUser({ email })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.ALREADY_EXISTS);
    }
  });
});

describe('GetUser', () => {
  it('when no user has the id, then NOT_FOUND names the resource', async () => {
    const id = '01900000-0000-7000-8000-000000000000';
    const err = await failure(call(client.getUser, client, { id }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'User', name: id });
  });

  it('when the id is not a UUID, then INVALID_ARGUMENT names id', async () => {
    const err = await failure(call(client.getUser, client, { id: "1' or '1'='1" }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'id', reason: 'INVALID_UUID' }]);
  });
});
