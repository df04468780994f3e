import { randomBytes } from 'node:crypto';
import { Role, type User, type UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { rawClient } from './databases.js';
import { call } from './grpc.js';

/** An email no other test uses. */
export function uniqueEmail(): string {
  return `user.${randomBytes(6).toString('hex')}@example.test`;
}

/** Creates a user through the API; unset fields get valid defaults. */
export function createUser(client: UserServiceClient, user: Partial<User> = {}, password = 'correct horse battery'): Promise<User> {
  return call(client.createUser, client, {
    user: { id: '', name: 'Ada Lovelace', email: uniqueEmail(), role: Role.ROLE_STUDENT, etag: '', ...user },
    password,
  });
}

/** Runs one SQL query on the test database and returns its rows. */
export async function queryRows<R extends Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const db = await rawClient(databaseUrl);
  try {
    return (await db.query<R>(sql, params)).rows;
  } finally {
    await db.end();
  }
}
