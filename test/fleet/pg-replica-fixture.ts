import type { Metadata } from '@grpc/grpc-js';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { MIN_LSN_KEY } from '../../src/server/replica-reads.js';
import { createLesson, createUser, uniqueEmail } from '../support/builders.js';
import { call, connect } from '../support/grpc.js';
import { PgStandbyPair } from '../support/pg-standby.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The service over a primary and its streaming standby (configured as its read replica), with the clients the tests use. */
export interface ReplicaFixture {
  readonly pair: PgStandbyPair;
  readonly server: TestServer;
  readonly catalog: CatalogServiceClient;
  readonly enrollments: EnrollmentServiceClient;
  readonly users: UserServiceClient;
  /** A signed-in student's metadata (who makes no writes of their own). */
  readonly student: { readonly id: string; readonly metadata: () => Metadata };
  /** A published item with one lesson, made by the admin. */
  publishedItem(title?: string): Promise<string>;
  /** A metric's value for the given labels, from the server's registry; undefined when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Starts the pair and the service; on any failure stops whatever started. */
export async function startReplicaFixture(env: Record<string, string>): Promise<ReplicaFixture> {
  const pair = await PgStandbyPair.start();
  let server: TestServer | undefined;
  try {
    server = await startTestServer({ DATABASE_URL: pair.primary.url, DATABASE_REPLICA_URLS: pair.standby.url, ...env });
    const started = server;
    const catalog = connect(CatalogServiceClient, started.port);
    const enrollments = connect(EnrollmentServiceClient, started.port);
    const users = connect(UserServiceClient, started.port);
    const email = uniqueEmail();
    const student = await createUser(users, { email, role: Role.ROLE_STUDENT });
    const studentMetadata = await started.signIn(email, 'correct horse battery');
    await pair.caughtUp();
    return {
      pair,
      server: started,
      catalog,
      enrollments,
      users,
      student: { id: student.id, metadata: () => studentMetadata.clone() },
      publishedItem: async (title = 'Replication 101') => {
        const item = await call(catalog.createCatalogItem, catalog, {
          catalogItem: {
            id: '',
            title,
            description: 'WAL, standbys and lag',
            price: { currencyCode: 'EUR', amountMinor: 0n },
            published: false,
            instructorId: '',
            etag: '',
          },
        });
        await createLesson(catalog, item.id, { title: 'Streaming' });
        await call(catalog.publishCatalogItem, catalog, { id: item.id });
        return item.id;
      },
      metric: async (name, labels = {}) => {
        const metric = (await started.app.registry.getMetricsAsJSON()).find((m) => m.name === name);
        const value = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
        return value?.value;
      },
      close: async () => {
        for (const client of [catalog, enrollments, users]) client.close();
        await started.close();
        await pair.stop();
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await pair.stop();
    throw err;
  }
}

/** The WAL position a response's metadata carries, if any. */
export function minLsnOf(metadata: Metadata): string | undefined {
  const value = metadata.get(MIN_LSN_KEY)[0];
  return value === undefined ? undefined : String(value);
}

/** `metadata` plus the position to read at least. */
export function atLeast(metadata: Metadata, lsn: string): Metadata {
  const out = metadata.clone();
  out.set(MIN_LSN_KEY, lsn);
  return out;
}
