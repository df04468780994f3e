import { randomBytes } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { CatalogItem, CatalogServiceClient, Lesson } from '../../generated/campus/catalog/v1/catalog.js';
import { Role, type User, type UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { call } from './grpc.js';

// The data a test needs, made through the public API as a caller would make
// it: unset fields get valid defaults, `as` says who calls (the test
// server's admin by default, see `connect`).

/** An email no other test uses. */
export function uniqueEmail(): string {
  return `user.${randomBytes(6).toString('hex')}@example.test`;
}

export function createUser(client: UserServiceClient, user: Partial<User> = {}, password = 'correct horse battery'): Promise<User> {
  return call(client.createUser, client, {
    user: { id: '', name: 'Ada Lovelace', email: uniqueEmail(), role: Role.ROLE_STUDENT, etag: '', ...user },
    password,
  });
}

/** A draft item (free unless `item.price` says otherwise). */
export function createCatalogItem(client: CatalogServiceClient, item: Partial<CatalogItem> = {}, as?: Metadata): Promise<CatalogItem> {
  const catalogItem: CatalogItem = {
    id: '',
    title: 'Databases 101',
    description: '',
    price: { currencyCode: 'EUR', amountMinor: 0n },
    published: false,
    instructorId: '',
    etag: '',
    ...item,
  };
  return call(client.createCatalogItem, client, { catalogItem }, as);
}

export function createLesson(
  client: CatalogServiceClient,
  catalogItemId: string,
  lesson: Partial<Lesson> = {},
  as?: Metadata,
): Promise<Lesson> {
  return call(
    client.createLesson,
    client,
    { catalogItemId, lesson: { id: '', catalogItemId: '', title: 'Primary keys', position: 1, etag: '', ...lesson } },
    as,
  );
}
