import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type ListUsersRequest, Role, type User, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser } from '../support/builders.js';
import { queryRows } from '../support/databases.js';
import { sealedUser } from '../support/field-keys.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: UserServiceClient;
/** Every user this file created through the API, oldest first. */
const created: User[] = [];

useTestServer({}, async (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
  for (const role of [
    Role.ROLE_STUDENT,
    Role.ROLE_INSTRUCTOR,
    Role.ROLE_STUDENT,
    Role.ROLE_STUDENT,
    Role.ROLE_INSTRUCTOR,
    Role.ROLE_STUDENT,
  ]) {
    created.push(await createUser(client, { role }));
  }
});

const list = (req: Partial<ListUsersRequest>) =>
  call(client.listUsers, client, { pageSize: 0, pageToken: '', role: Role.ROLE_UNSPECIFIED, ...req });

/** Follows next_page_token to the end; returns the ids and the size of each page. */
async function walk(req: Partial<ListUsersRequest>): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let pageToken = '';
  do {
    const page = await list({ ...req, pageToken });
    ids.push(...page.users.map((u) => u.id));
    pages.push(page.users.length);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return { ids, pages };
}

const newestFirst = (users: User[]) => users.map((u) => u.id).reverse();
const withRole = (role: Role) => created.filter((u) => u.role === role);

describe('ListUsers', () => {
  it('when paging through every user, then each comes once, newest first, and the last page has no token', async () => {
    const { ids, pages } = await walk({ pageSize: 4 });
    // The bootstrap admin was created at start, before everyone else.
    expect(ids).toEqual([...newestFirst(created), server.admin.id]);
    expect(pages).toEqual([4, 3]);
  });

  it('when filtered by role, then only users of that role are listed, newest first', async () => {
    const { ids, pages } = await walk({ role: Role.ROLE_STUDENT, pageSize: 2 });
    expect(ids).toEqual(newestFirst(withRole(Role.ROLE_STUDENT)));
    expect(pages).toEqual([2, 2]);
    const page = await list({ role: Role.ROLE_INSTRUCTOR });
    expect(page.users).toEqual([...withRole(Role.ROLE_INSTRUCTOR)].reverse());
    expect(page.nextPageToken).toBe('');
  });

  it('when users are created between two pages, then the next page neither repeats nor skips anyone', async () => {
    const before = newestFirst(withRole(Role.ROLE_STUDENT));
    const first = await list({ role: Role.ROLE_STUDENT, pageSize: 2 });
    const inserted = [await createUser(client, { role: Role.ROLE_STUDENT }), await createUser(client, { role: Role.ROLE_STUDENT })];
    const ids = first.users.map((u) => u.id);
    let pageToken = first.nextPageToken;
    while (pageToken !== '') {
      const page = await list({ role: Role.ROLE_STUDENT, pageSize: 2, pageToken });
      ids.push(...page.users.map((u) => u.id));
      pageToken = page.nextPageToken;
    }
    expect(ids).toEqual(before);
    // A listing started afresh sees the newcomers first.
    expect((await walk({ role: Role.ROLE_STUDENT, pageSize: 2 })).ids).toEqual([...newestFirst(inserted), ...before]);
  });

  it('when page_size is negative, then INVALID_ARGUMENT names page_size', async () => {
    const err = await failure(list({ pageSize: -1 }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'page_size', reason: 'INVALID_PAGE_SIZE' }]);
  });

  it('when the role filter is no known role, then INVALID_ARGUMENT names role', async () => {
    const err = await failure(list({ role: 42 as Role }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'role', reason: 'INVALID_ENUM' }]);
  });

  it('when the page_token was edited, then INVALID_ARGUMENT names page_token', async () => {
    const { nextPageToken } = await list({ pageSize: 1 });
    const [body = '', signature = ''] = nextPageToken.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), k: ['2100-01-01T00:00:00.000Z', created[0]?.id] }),
    ).toString('base64url');
    for (const token of [`${forged}.${signature}`, `${nextPageToken}x`, 'garbage', `${body}.`]) {
      const err = await failure(list({ pageSize: 1, pageToken: token }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
    }
  });

  it('when a page_token is used with another role filter, then INVALID_ARGUMENT names page_token', async () => {
    const { nextPageToken } = await list({ role: Role.ROLE_STUDENT, pageSize: 1 });
    expect(nextPageToken).not.toBe('');
    const err = await failure(list({ role: Role.ROLE_INSTRUCTOR, pageSize: 1, pageToken: nextPageToken }));
    expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
  });

  it('when page_size is 0, then 50 users come; when it is above 1000, then 1000 come', async () => {
    // 1100 admins, older than everyone else, written straight to the table to keep the test fast
    // (one sealed name and email shared by all; a distinct email_key each).
    const sealed = sealedUser('Bulk', 'bulk@example.test');
    await queryRows(
      server.config.databaseUrl ?? '',
      `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time, version)
       select gen_random_uuid(), $1, $2, encode(sha256(convert_to('bulk' || i, 'UTF8')), 'hex'), 'admin', '!',
              timestamptz '2000-01-01' + i * interval '1 second', now(), 1
       from generate_series(1, 1100) as i`,
      [sealed.name, sealed.email],
    );
    const byDefault = await list({ role: Role.ROLE_ADMIN });
    expect(byDefault.users).toHaveLength(50);
    expect(byDefault.nextPageToken).not.toBe('');
    const capped = await list({ role: Role.ROLE_ADMIN, pageSize: 100_000 });
    expect(capped.users).toHaveLength(1000);
    const last = await list({ role: Role.ROLE_ADMIN, pageSize: 100_000, pageToken: capped.nextPageToken });
    // 1100 bulk admins and the bootstrap admin.
    expect(last.users).toHaveLength(101);
    expect(last.nextPageToken).toBe('');
  });
});
