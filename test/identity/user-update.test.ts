import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Role, type UpdateUserRequest, type User, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser, uniqueEmail } from '../support/builders.js';
import { queryRows } from '../support/databases.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: UserServiceClient;

useTestServer({}, (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
});

const update = (user: Partial<User> & { id: string }, updateMask?: string[]) =>
  call(client.updateUser, client, {
    user: { name: '', email: '', role: Role.ROLE_UNSPECIFIED, etag: '', ...user },
    updateMask,
  } satisfies UpdateUserRequest);

const get = (id: string) => call(client.getUser, client, { id });

interface AuditRow extends Record<string, unknown> {
  action: string;
  actor: string;
  diff: Record<string, unknown>;
}
// What updates wrote; the user's creation has an entry of its own (user.created).
const auditOf = (id: string) =>
  queryRows<AuditRow>(
    server.config.databaseUrl ?? '',
    "select action, actor, diff from audit_log where entity_type = 'user' and entity_id = $1 and action <> 'user.created' order by create_time, id",
    [id],
  );

describe('UpdateUser', () => {
  it('when the name is masked and the etag is current, then only the name changes and the etag moves on', async () => {
    const user = await createUser(client, { name: 'Ada Lovelace' });
    const updated = await update({ id: user.id, etag: user.etag, name: '  Ada King  ', email: uniqueEmail(), role: Role.ROLE_ADMIN }, [
      'name',
    ]);
    expect(updated).toMatchObject({ id: user.id, name: 'Ada King', email: user.email, role: user.role });
    expect(updated.etag).not.toBe(user.etag);
    expect(updated.updateTime?.getTime()).toBeGreaterThanOrEqual(user.updateTime?.getTime() ?? 0);
    expect(await get(user.id)).toEqual(updated);
  });

  it('when the mask is empty, then every field set in the request changes and unset ones stay', async () => {
    const user = await createUser(client, { role: Role.ROLE_STUDENT });
    const email = uniqueEmail();
    const updated = await update({ id: user.id, email, role: Role.ROLE_INSTRUCTOR });
    expect(updated).toMatchObject({ name: user.name, email, role: Role.ROLE_INSTRUCTOR });
  });

  it('when the role changes, then user.role_changed is audited with before and after', async () => {
    const user = await createUser(client, { role: Role.ROLE_STUDENT });
    await update({ id: user.id, role: Role.ROLE_ADMIN }, ['role']);
    expect(await auditOf(user.id)).toEqual([{ action: 'user.role_changed', actor: server.admin.id, diff: { role: ['student', 'admin'] } }]);
  });

  it('when name and email change, then user.updated names the fields but holds none of their values', async () => {
    const user = await createUser(client, { name: 'Grace Hopper' });
    const email = uniqueEmail();
    await update({ id: user.id, name: 'Grace Brewster Hopper', email }, ['name', 'email']);
    const audit = await auditOf(user.id);
    expect(audit).toEqual([{ action: 'user.updated', actor: server.admin.id, diff: { fields: ['name', 'email'] } }]);
    const stored = JSON.stringify(audit);
    for (const personal of [user.email, email, 'Grace']) expect(stored).not.toContain(personal);
  });

  it('when role and name change together, then both entries are written', async () => {
    const user = await createUser(client, { role: Role.ROLE_STUDENT });
    await update({ id: user.id, name: 'Someone Else', role: Role.ROLE_INSTRUCTOR }, ['name', 'role']);
    expect((await auditOf(user.id)).map((a) => a.action).sort()).toEqual(['user.role_changed', 'user.updated']);
  });

  it('when the values are the ones already stored, then nothing is written and the etag stays', async () => {
    const user = await createUser(client, { role: Role.ROLE_STUDENT });
    const same = await update({ id: user.id, etag: user.etag, name: user.name, role: Role.ROLE_STUDENT }, ['name', 'role']);
    expect(same.etag).toBe(user.etag);
    expect(await auditOf(user.id)).toEqual([]);
  });

  it('when the etag is stale, then ABORTED and nothing changes, not even the audit trail', async () => {
    const user = await createUser(client, { name: 'First Name', role: Role.ROLE_STUDENT });
    const current = await update({ id: user.id, etag: user.etag, name: 'Second Name' }, ['name']);
    const err = await failure(update({ id: user.id, etag: user.etag, name: 'Third Name', role: Role.ROLE_ADMIN }, ['name', 'role']));
    expect(err.code).toBe(status.ABORTED);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(await get(user.id)).toEqual(current);
    expect((await auditOf(user.id)).map((a) => a.action)).toEqual(['user.updated']);
  });

  it('when two updates race with the same etag, then exactly one wins and the other is ABORTED', async () => {
    const user = await createUser(client);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => update({ id: user.id, etag: user.etag, name: `Racer ${i}` }, ['name'])),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.ABORTED);
    expect((await get(user.id)).name).toBe(won[0]?.status === 'fulfilled' ? won[0].value.name : '');
    expect(await auditOf(user.id)).toHaveLength(1);
  });

  it('when the email belongs to another user in another case, then ALREADY_EXISTS and nothing changes', async () => {
    const other = await createUser(client);
    const user = await createUser(client);
    const err = await failure(update({ id: user.id, email: other.email.toUpperCase(), name: 'Changed Too' }, ['email', 'name']));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.reason).toBe('EMAIL_TAKEN');
    expect(await get(user.id)).toEqual(user);
    expect(await auditOf(user.id)).toEqual([]);
  });

  it('when only the case of the own email changes, then it is accepted', async () => {
    const user = await createUser(client);
    const updated = await update({ id: user.id, email: user.email.toUpperCase() }, ['email']);
    expect(updated.email).toBe(user.email.toUpperCase());
  });

  it('when every masked field is bad, then INVALID_ARGUMENT names each of them', async () => {
    const user = await createUser(client);
    const err = await failure(update({ id: user.id, name: ' ', email: 'not-an-email', role: 42 as Role }, ['name', 'email', 'role']));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'user.email', reason: 'INVALID_EMAIL' },
      { field: 'user.name', reason: 'FIELD_REQUIRED' },
      { field: 'user.role', reason: 'INVALID_ENUM' },
    ]);
    expect(await get(user.id)).toEqual(user);
  });

  it('when the name is too long or the role is masked but unspecified, then INVALID_ARGUMENT names them', async () => {
    const user = await createUser(client);
    const err = await failure(update({ id: user.id, name: 'x'.repeat(201) }, ['name', 'role']));
    expect(err.fieldViolations).toEqual([
      { field: 'user.name', reason: 'TOO_LONG' },
      { field: 'user.role', reason: 'FIELD_REQUIRED' },
    ]);
  });

  it('when the mask names a field that cannot be updated, then INVALID_ARGUMENT names update_mask', async () => {
    const user = await createUser(client);
    const err = await failure(update({ id: user.id, name: 'New Name' }, ['name', 'password_hash']));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'update_mask', reason: 'UNKNOWN_FIELD_PATH' }]);
    expect(await get(user.id)).toEqual(user);
  });

  it('when the id is missing or not a UUID, then INVALID_ARGUMENT names user.id', async () => {
    for (const [id, reason] of [
      ['', 'FIELD_REQUIRED'],
      ['x', 'INVALID_UUID'],
    ] as const) {
      const err = await failure(update({ id, name: 'New Name' }, ['name']));
      expect(err.fieldViolations).toEqual([{ field: 'user.id', reason }]);
    }
  });

  it('when no user has the id, then NOT_FOUND names it', async () => {
    const id = '01900000-0000-7000-8000-000000000002';
    const err = await failure(update({ id, name: 'New Name' }, ['name']));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'User', name: id });
  });
});
