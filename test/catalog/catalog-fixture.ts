import { type CatalogItem, CatalogServiceClient, type Lesson } from '../../generated/campus/catalog/v1/catalog.js';
import { type Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { rawClient } from '../support/databases.js';
import { type ClientCtor, call, connect } from '../support/grpc.js';
import {
  startTestServer,
  type TestServer,
  type TestServerScope,
  type UseTestServerOptions,
  useTestServer,
} from '../support/test-server.js';

/** A real server with a catalog client and the few calls the catalog tests repeat. */
export interface CatalogFixture {
  readonly server: TestServer;
  readonly client: CatalogServiceClient;
  createItem(item?: Partial<CatalogItem>): Promise<CatalogItem>;
  createLesson(catalogItemId: string, lesson?: Partial<Lesson>): Promise<Lesson>;
  /** A published item with one lesson. */
  createPublishedItem(item?: Partial<CatalogItem>): Promise<CatalogItem>;
  createUser(role: Role): Promise<string>;
  /** Rows of a raw SQL query against the server's database. */
  sql<R>(text: string, params?: unknown[]): Promise<R[]>;
}

/** A fixture started on its own (startCatalogFixture), closed by its owner. */
export interface OwnCatalogFixture extends CatalogFixture {
  close(): Promise<void>;
}

/**
 * The catalog fixture of a test file: started before its tests (see
 * useTestServer), closed after them with whatever `setup` opened.
 */
export function useCatalogFixture(
  options: UseTestServerOptions = {},
  setup: (fixture: CatalogFixture, scope: TestServerScope) => unknown = () => undefined,
): void {
  useTestServer(options, async (server, scope) => {
    const fixture = await catalogFixtureOf(server, scope.connect);
    scope.onClose(() => fixture.closeClients());
    await setup(fixture, scope);
  });
}

/** A fixture of its own server, closed by `close()`; `env` as for startTestServer. */
export async function startCatalogFixture(env: Record<string, string> = {}): Promise<OwnCatalogFixture> {
  const server = await startTestServer(env);
  const connectTo = <C>(Ctor: ClientCtor<C>) => connect(Ctor, server.port);
  const fixture = await catalogFixtureOf(server, connectTo);
  return {
    ...fixture,
    close: async () => {
      await fixture.closeClients();
      await server.close();
    },
  };
}

async function catalogFixtureOf(
  server: TestServer,
  connectTo: <C extends { close(): void }>(Ctor: ClientCtor<C>) => C,
): Promise<CatalogFixture & { closeClients(): Promise<void> }> {
  const client = connectTo(CatalogServiceClient);
  const users = connectTo(UserServiceClient);
  const db = await rawClient(server.config.databaseUrl ?? '');
  const fixture: CatalogFixture & { closeClients(): Promise<void> } = {
    server,
    client,
    createItem: (item = {}) =>
      createCatalogItem(client, {
        title: 'Databases 101',
        description: 'Keys, indexes and transactions',
        price: { currencyCode: 'EUR', amountMinor: 4900n },
        ...item,
      }),
    createLesson: (catalogItemId, lesson = {}) => createLesson(client, catalogItemId, lesson),
    createPublishedItem: async (item = {}) => {
      const created = await fixture.createItem(item);
      await fixture.createLesson(created.id);
      return call(client.publishCatalogItem, client, { id: created.id });
    },
    createUser: async (role) => (await createUser(users, { name: 'Grace Hopper', role })).id,
    sql: async <R>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as R[],
    closeClients: async () => {
      client.close();
      users.close();
      await db.end();
    },
  };
  return fixture;
}
