import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser } from '../support/builders.js';
import { queryRows } from '../support/databases.js';
import { sealedUser } from '../support/field-keys.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

// GetUser reads through the cache: a read fills it, a write through the API
// must show on the next read.
let server: TestServer;
let client: UserServiceClient;

useTestServer({}, (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
});

const get = (id: string) => call(client.getUser, client, { id });

describe('GetUser through the cache', () => {
  it('when a profile is cached, then Redis holds it sealed: no name or email in the clear', async () => {
    const user = await createUser(client, { name: 'Grace Brewster Hopper' });
    await get(user.id);
    const redis = new Redis(inject('redisUrl'));
    try {
      const [value] = await redis.mget(`${server.config.redisKeyPrefix}v2:user:{${user.id}}`);
      expect(value).toBeTruthy();
      expect(value).not.toContain('Grace');
      expect(value).not.toContain(user.email);
      expect(value).not.toContain(user.email.split('@')[0] as string);
    } finally {
      redis.disconnect();
    }
  });

  it('when the row changes behind the service, then the cached profile is served: reads are cached', async () => {
    const user = await createUser(client, { name: 'Cached Name' });
    await get(user.id);
    await queryRows(server.config.databaseUrl ?? '', 'update users set name = $2 where id = $1', [
      user.id,
      sealedUser('Behind the cache', '').name,
    ]);
    expect((await get(user.id)).name).toBe('Cached Name');
  });

  it('when a user is updated, then the next read shows the update, the same as the update answered', async () => {
    const user = await createUser(client, { name: 'Before', role: Role.ROLE_STUDENT });
    expect(await get(user.id)).toEqual(user);
    const updated = await call(client.updateUser, client, {
      user: { id: user.id, name: 'After', email: '', role: Role.ROLE_INSTRUCTOR, etag: user.etag },
      updateMask: ['name', 'role'],
    });
    expect(await get(user.id)).toEqual(updated);
    expect(updated).toMatchObject({ name: 'After', role: Role.ROLE_INSTRUCTOR });
  });

  it('when a user is deleted, then the next read is NOT_FOUND', async () => {
    const user = await createUser(client);
    await get(user.id);
    await call(client.deleteUser, client, { id: user.id, etag: '' });
    expect((await failure(get(user.id))).code).toBe(status.NOT_FOUND);
  });
});
