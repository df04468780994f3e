import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser } from '../support/builders.js';
import { call, failure } from '../support/grpc.js';
import { useTestServer } from '../support/test-server.js';

let client: UserServiceClient;

useTestServer({}, (_server, scope) => {
  client = scope.connect(UserServiceClient);
});

const batchGet = (ids: string[]) => call(client.batchGetUsers, client, { ids });
const MISSING = '01900000-0000-7000-8000-000000000001';

describe('BatchGetUsers', () => {
  it('when ids are given in any order, then the users come back in that order, duplicates repeated', async () => {
    const [a, b, c] = [await createUser(client), await createUser(client), await createUser(client)];
    const { users } = await batchGet([c.id, a.id, b.id, a.id]);
    expect(users.map((u) => u.id)).toEqual([c.id, a.id, b.id, a.id]);
    expect(users[0]).toEqual(c);
  });

  it('when an id is in upper case, then its user is still found', async () => {
    const a = await createUser(client);
    const { users } = await batchGet([a.id.toUpperCase()]);
    expect(users.map((u) => u.id)).toEqual([a.id]);
  });

  it('when no ids are given, then the answer is empty', async () => {
    expect((await batchGet([])).users).toEqual([]);
  });

  it('when one id has no user, then NOT_FOUND names that id', async () => {
    const a = await createUser(client);
    const err = await failure(batchGet([a.id, MISSING]));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'User', name: MISSING });
  });

  it('when an id is not a UUID, then INVALID_ARGUMENT names its index', async () => {
    const a = await createUser(client);
    const err = await failure(batchGet([a.id, 'nope', '']));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([
      { field: 'ids[1]', reason: 'INVALID_UUID' },
      { field: 'ids[2]', reason: 'FIELD_REQUIRED' },
    ]);
  });

  it('when 1000 ids are asked for, then they are served; when 1001, then INVALID_ARGUMENT names ids', async () => {
    const a = await createUser(client);
    const thousand = Array.from({ length: 1000 }, () => a.id);
    expect((await batchGet(thousand)).users).toHaveLength(1000);
    const err = await failure(batchGet([...thousand, a.id]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([{ field: 'ids', reason: 'TOO_MANY' }]);
  });
});
