import { randomBytes } from 'node:crypto';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { callWithin, type Op } from '../support/call-load.js';
import { createTestDatabase } from '../support/databases.js';
import { call, connect } from '../support/grpc.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Users the update op takes in turn, so that two updates of one user rarely overlap (that is ABORTED, by design). */
const UPDATED_USERS = 20;

export interface CampusLoad {
  /** Writes: a new user (a transaction with an audit row), a name change of an existing one. */
  readonly createUser: Op;
  readonly updateUser: Op;
  /** Reads: a user by id (cached), a page of users (always PostgreSQL), a catalog item warmed in the cache. */
  readonly getUser: Op;
  readonly listUsers: Op;
  readonly getCachedItem: Op;
  readonly all: readonly Op[];
  /** The warmed item's id: read it to check it is still served from the cache. */
  readonly cachedItemId: string;
  close(): void;
}

/** Seeds what the ops need (while the stores are healthy) and makes them, all as the test server's admin. */
export async function campusLoad(server: TestServer, deadlineMs: number): Promise<CampusLoad> {
  const users = connect(UserServiceClient, server.port);
  const catalog = connect(CatalogServiceClient, server.port);
  const tag = randomBytes(3).toString('hex');
  let seq = 0;
  const newUser = () => ({
    user: { id: '', name: 'Load', email: `load-${tag}-${seq++}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
    password: 'correct horse battery',
  });
  const updated: string[] = [];
  for (let i = 0; i < UPDATED_USERS; i++) updated.push((await call(users.createUser, users, newUser())).id);
  const price = { currencyCode: 'EUR', amountMinor: 100n };
  const fields = { id: '', title: 'Cached under faults', description: '', price, published: false, instructorId: '', etag: '' };
  const item = await call(catalog.createCatalogItem, catalog, { catalogItem: fields });
  await call(catalog.getCatalogItem, catalog, { id: item.id });
  let turn = 0;
  const op = (name: string, run: (ms: number) => Promise<unknown>): Op => ({ name, deadlineMs, run });
  const load = {
    createUser: op('CreateUser', (ms) => callWithin(users.createUser, users, newUser(), ms)),
    updateUser: op('UpdateUser', (ms) =>
      callWithin(
        users.updateUser,
        users,
        {
          user: { id: updated[turn++ % UPDATED_USERS] ?? '', name: `Load ${seq++}`, email: '', role: Role.ROLE_UNSPECIFIED, etag: '' },
          updateMask: ['name'],
        },
        ms,
      ),
    ),
    getUser: op('GetUser', (ms) => callWithin(users.getUser, users, { id: updated[seq++ % UPDATED_USERS] ?? '' }, ms)),
    listUsers: op('ListUsers', (ms) => callWithin(users.listUsers, users, { pageSize: 5, pageToken: '', role: Role.ROLE_UNSPECIFIED }, ms)),
    getCachedItem: op('GetCatalogItem(cached)', (ms) => callWithin(catalog.getCatalogItem, catalog, { id: item.id }, ms)),
  };
  return {
    ...load,
    all: [load.createUser, load.getCachedItem, load.updateUser, load.listUsers, load.getUser],
    cachedItemId: item.id,
    close: () => {
      users.close();
      catalog.close();
    },
  };
}

/** Log lines of calls the service failed for a reason of its own (a bug: INTERNAL). */
export function unexpectedErrors(server: TestServer): Record<string, unknown>[] {
  return server.logs.filter((l) => l.msg === 'unexpected error' || (l.msg === 'rpc' && (l.code === 'Internal' || l.code === 'Unknown')));
}

/** A service on a database of its own that it reaches through a proxy, with the load's ops seeded. */
export interface BehindProxy {
  readonly dbUrl: string;
  readonly proxy: TcpProxy;
  readonly server: TestServer;
  readonly load: CampusLoad;
}

/**
 * Starts one (`env` as for startTestServer, DATABASE_URL set here) and hands
 * it to `started` at once, so that `stopBehindProxy` can clean up whatever of
 * it started even when the start fails halfway.
 */
export async function startBehindProxy(
  env: Record<string, string>,
  deadlineMs: number,
  started: (parts: Partial<BehindProxy> & { drop?: () => Promise<void> }) => void,
): Promise<BehindProxy> {
  const parts: Partial<BehindProxy> & { drop?: () => Promise<void> } = {};
  started(parts);
  const db = await createTestDatabase();
  Object.assign(parts, { dbUrl: db.url, drop: db.drop });
  const proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432));
  Object.assign(parts, { proxy });
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const server = await startTestServer({ ...env, DATABASE_URL: url.toString() });
  Object.assign(parts, { server });
  const load = await campusLoad(server, deadlineMs);
  Object.assign(parts, { load });
  return { dbUrl: db.url, proxy, server, load };
}

/** Stops what `startBehindProxy` started; never throws. */
export async function stopBehindProxy(parts: (Partial<BehindProxy> & { drop?: () => Promise<void> }) | undefined): Promise<void> {
  parts?.load?.close();
  parts?.proxy?.restore();
  await parts?.server?.close().catch(() => undefined);
  await parts?.proxy?.close().catch(() => undefined);
  await parts?.drop?.().catch(() => undefined);
}
