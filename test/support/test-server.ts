import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Metadata } from '@grpc/grpc-js';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { type App, type AppOverrides, startApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { startEmbeddedMongo } from '../../src/db/embedded-mongo.js';
import type { EmbeddedStore } from '../../src/db/embedded-postgres.js';
import { migrateUnderLock } from '../../src/db/migrate-under-lock.js';
import { openPostgres } from '../../src/db/postgres.js';
import { argon2idHasher } from '../../src/identity/password-hasher.js';
import { createTestDatabase, rawClient } from './databases.js';
import { TEST_FIELD_KEYS_ENV } from './field-keys.js';
import { actAsByDefault, bearer, type ClientCtor, call, connect, connectAnonymous } from './grpc.js';
import { throughPgBouncerIfAsked } from './pgbouncer.js';

export interface TestServer {
  readonly app: App;
  readonly config: Config;
  readonly port: number;
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The bootstrap admin's credentials (created at start). */
  readonly admin: { readonly email: string; readonly password: string; readonly id: string };
  /** Signs in over gRPC and returns metadata carrying the session token. */
  signIn(email: string, password: string): Promise<Metadata>;
  /** Metadata of a signed-in admin, for calls only admins may make. */
  asAdmin(): Promise<Metadata>;
  close(): Promise<void>;
}

/** Cheap argon2id parameters: the same algorithm, fast enough for many sign-ups. */
export const testPasswordHasher = argon2idHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/**
 * The real service on an ephemeral port, over the real PostgreSQL (a database
 * of this file's own, migrated), Redis (a key prefix of its own) and the
 * in-process MongoDB-wire server. With `DATABASE_URL` in `env` it runs on that
 * database instead (migrated if it is not yet; e.g. one more replica of
 * another test server), which it then leaves in place. Under
 * `TEST_PGBOUNCER=1` its own database is reached through a PgBouncer in
 * transaction mode (test/support/pgbouncer.ts).
 */
export async function startTestServer(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestServer> {
  const db = env.DATABASE_URL ? { url: env.DATABASE_URL, drop: async () => undefined } : await createTestDatabase();
  const migrator = await openPostgres({
    url: db.url,
    statementTimeoutMs: 60_000,
    transactionPooling: env.DATABASE_POOLER === 'transaction',
  });
  await migrateUnderLock(migrator, db.url, 60_000);
  await migrator.close();
  const bouncer = env.DATABASE_URL ? undefined : await throughPgBouncerIfAsked(db.url, Number(env.STATEMENT_TIMEOUT_MS ?? 15_000));
  const mongo: EmbeddedStore = await startEmbeddedMongo();
  // The embedded asset storage keeps its objects here; removed on close.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'campus-test-'));
  const admin = { email: `admin-${randomBytes(4).toString('hex')}@example.test`, password: randomBytes(18).toString('base64url') };
  const config = loadConfig({
    GRPC_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DATABASE_URL: db.url,
    MONGO_URL: mongo.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '2000',
    BOOTSTRAP_ADMIN_EMAIL: admin.email,
    BOOTSTRAP_ADMIN_PASSWORD: admin.password,
    DATA_DIR: dataDir,
    ASSET_EMBEDDED_STORAGE_PORT: '0',
    ASSET_EMBEDDED_EDGE_PORT: '0',
    ...TEST_FIELD_KEYS_ENV,
    ...env,
    ...bouncer?.env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: config.logLevel }, sink);
  const app = await startApp(config, { log, passwordHasher: testPasswordHasher, ...overrides }).catch(async (err: unknown) => {
    await bouncer?.stop();
    throw err;
  });
  const signIn = async (email: string, password: string) => {
    const auth = connect(AuthServiceClient, app.grpcPort);
    try {
      return bearer((await call(auth.login, auth, { email, password })).sessionToken);
    } finally {
      auth.close();
    }
  };
  let adminMetadata: Promise<Metadata> | undefined;
  // Over TLS the plaintext test clients cannot call: such tests bring their own.
  const adminSession = await (async () => {
    if (config.tls) return undefined;
    const auth = connect(AuthServiceClient, app.grpcPort);
    try {
      return await call(auth.login, auth, { email: admin.email, password: admin.password });
    } finally {
      auth.close();
    }
  })();
  actAsByDefault(app.grpcPort, adminSession?.sessionToken);
  return {
    app,
    config,
    port: app.grpcPort,
    logs,
    admin: { ...admin, id: adminSession?.user?.id ?? '' },
    signIn,
    asAdmin: () => {
      adminMetadata ??= signIn(admin.email, admin.password);
      return adminMetadata;
    },
    close: async () => {
      actAsByDefault(app.grpcPort, undefined);
      await app.shutdown();
      await mongo.stop();
      await bouncer?.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a file's set-up gets besides its server: clients and clean-ups that end with it. */
export interface TestServerScope {
  /** A client acting as the server's admin by default (see `connect`), closed after the file's tests. */
  connect<C extends { close(): void }>(Ctor: ClientCtor<C>): C;
  /** A client sending only the credentials each call carries, closed after the file's tests. */
  connectAnonymous<C extends { close(): void }>(Ctor: ClientCtor<C>): C;
  /** A plain client of the server's database (for what a test reads or arranges in SQL), closed after the file's tests. */
  database(): Promise<pg.Client>;
  /** Runs after the file's tests, before the server closes (the last registered first). */
  onClose(fn: () => unknown): void;
}

export interface UseTestServerOptions {
  /** As for startTestServer. */
  readonly env?: Record<string, string>;
  readonly overrides?: AppOverrides;
  /** How long starting the server and `setup` may take (vitest's hookTimeout otherwise). */
  readonly hookTimeoutMs?: number;
}

/**
 * The one way a test file starts its server: before the file's tests it
 * starts one (startTestServer) and runs `setup` with it; after them it closes
 * every client and clean-up `setup` registered, then the server, whatever
 * failed on the way.
 *
 *     let server: TestServer;
 *     let users: UserServiceClient;
 *     useTestServer({}, (s, scope) => {
 *       server = s;
 *       users = scope.connect(UserServiceClient);
 *     });
 */
export function useTestServer(
  options: UseTestServerOptions = {},
  setup: (server: TestServer, scope: TestServerScope) => unknown = () => undefined,
): void {
  let server: TestServer | undefined;
  const cleanUps: (() => unknown)[] = [];
  const closedAfter = <C extends { close(): void }>(client: C): C => {
    cleanUps.push(() => client.close());
    return client;
  };
  beforeAll(async () => {
    const started = await startTestServer(options.env, options.overrides);
    server = started;
    const scope: TestServerScope = {
      connect: (Ctor) => closedAfter(connect(Ctor, started.port)),
      connectAnonymous: (Ctor) => closedAfter(connectAnonymous(Ctor, started.port)),
      database: async () => {
        const db = await rawClient(started.config.databaseUrl ?? '');
        cleanUps.push(() => db.end());
        return db;
      },
      onClose: (fn) => cleanUps.push(fn),
    };
    await setup(started, scope);
  }, options.hookTimeoutMs);
  afterAll(async () => {
    try {
      for (const cleanUp of cleanUps.reverse()) await cleanUp();
    } finally {
      await server?.close();
    }
  });
}
