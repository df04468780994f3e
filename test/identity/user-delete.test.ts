import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser } from '../support/builders.js';
import { queryRows } from '../support/databases.js';
import { fieldCryptoFor } from '../support/field-keys.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: UserServiceClient;

useTestServer({}, (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
});

const del = (id: string, etag = '') => call(client.deleteUser, client, { id, etag });
const rows = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
  queryRows<R>(server.config.databaseUrl ?? '', sql, params);
const userRow = async (id: string) => (await rows('select * from users where id = $1', [id]))[0];

describe('DeleteUser', () => {
  it('when a user is deleted, then the row stays but holds no personal data', async () => {
    const user = await createUser(client, { name: 'Ada Lovelace' }, 'a very secret passphrase');
    expect(await del(user.id, user.etag)).toEqual({});
    const row = await userRow(user.id);
    const { keyRing, blindIndex } = fieldCryptoFor();
    expect(row).toMatchObject({ id: user.id, email_key: blindIndex.ofEmail(`deleted+${user.id}@invalid`), role: 'student' });
    expect(keyRing.open(String(row?.name), 'users.name')).toBe('');
    expect(keyRing.open(String(row?.email), 'users.email')).toBe(`deleted+${user.id}@invalid`);
    expect(row?.delete_time).toBeInstanceOf(Date);
    expect(row?.password_hash).not.toMatch(/^\$argon2/);
    // Sealed values are random text: only whole words can be looked for without chance matches.
    const everything = JSON.stringify(row).toLowerCase();
    for (const personal of [user.email.toLowerCase(), 'lovelace']) expect(everything).not.toContain(personal);
  });

  it('when a user is deleted, then user.deleted is audited without personal data', async () => {
    const user = await createUser(client, { name: 'Grace Hopper' });
    await del(user.id);
    const audit = await rows("select action, actor, diff from audit_log where entity_id = $1 and action <> 'user.created'", [user.id]);
    expect(audit).toEqual([{ action: 'user.deleted', actor: server.admin.id, diff: {} }]);
  });

  it('when a user is deleted, then Get, BatchGet, Update and Delete answer NOT_FOUND and List leaves it out', async () => {
    const keep = await createUser(client, { role: Role.ROLE_INSTRUCTOR });
    const gone = await createUser(client, { role: Role.ROLE_INSTRUCTOR });
    await del(gone.id);
    const calls = [
      () => call(client.getUser, client, { id: gone.id }),
      () => call(client.batchGetUsers, client, { ids: [keep.id, gone.id] }),
      () => call(client.updateUser, client, { user: { ...gone, name: 'Back Again' }, updateMask: ['name'] }),
      () => del(gone.id),
    ];
    for (const start of calls) {
      const err = await failure(start());
      expect(err.code).toBe(status.NOT_FOUND);
      expect(err.resource).toEqual({ type: 'User', name: gone.id });
    }
    const listed = await call(client.listUsers, client, { pageSize: 1000, pageToken: '', role: Role.ROLE_INSTRUCTOR });
    expect(listed.users.map((u) => u.id)).toContain(keep.id);
    expect(listed.users.map((u) => u.id)).not.toContain(gone.id);
  });

  it('when a user is deleted, then their email can be registered again, in any case', async () => {
    const user = await createUser(client);
    await del(user.id);
    const again = await createUser(client, { email: user.email.toUpperCase() });
    expect(again.id).not.toBe(user.id);
    const { keyRing } = fieldCryptoFor();
    expect(keyRing.open(String((await userRow(user.id))?.email), 'users.email')).toBe(`deleted+${user.id}@invalid`);
  });

  it('when enrollments and payments reference the user, then the delete succeeds and they keep their reference', async () => {
    const user = await createUser(client);
    const [item] = await rows<{ id: string }>(
      `insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time, version)
       values (gen_random_uuid(), 'Course', '', 1000, 'EUR', true, now(), now(), 1) returning id`,
    );
    const [enrollment] = await rows<{ id: string }>(
      `insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at, version)
       values (gen_random_uuid(), $1, $2, 'active', now(), 1) returning id`,
      [user.id, item?.id],
    );
    await rows(
      `insert into payments (id, user_id, enrollment_id, amount, currency, status, create_time, update_time, version)
       values (gen_random_uuid(), $1, $2, 1000, 'EUR', 'succeeded', now(), now(), 1)`,
      [user.id, enrollment?.id],
    );
    await del(user.id);
    expect(await rows('select 1 from enrollments where user_id = $1', [user.id])).toHaveLength(1);
    expect(await rows('select 1 from payments where user_id = $1', [user.id])).toHaveLength(1);
  });

  it('when the etag is stale, then ABORTED and nothing changes', async () => {
    const user = await createUser(client);
    const renamed = await call(client.updateUser, client, { user: { ...user, name: 'Renamed' }, updateMask: ['name'] });
    const before = await userRow(user.id);
    const err = await failure(del(user.id, user.etag));
    expect(err.code).toBe(status.ABORTED);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(await userRow(user.id)).toEqual(before);
    expect(await call(client.getUser, client, { id: user.id })).toEqual(renamed);
    expect(await rows("select 1 from audit_log where entity_id = $1 and action = 'user.deleted'", [user.id])).toEqual([]);
  });

  it('when the id is missing or not a UUID, then INVALID_ARGUMENT names id', async () => {
    for (const [id, reason] of [
      ['', 'FIELD_REQUIRED'],
      ['42', 'INVALID_UUID'],
    ] as const) {
      const err = await failure(del(id));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.fieldViolations).toEqual([{ field: 'id', reason }]);
    }
  });
});
