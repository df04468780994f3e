import type { EntityManager } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { type FieldCrypto, fieldCryptoExtension } from '../crypto/field-crypto.js';
import { IdempotencyRecordSchema } from '../idempotency/idempotency-record.entity.js';
import { MODULES } from '../modules.js';
import { OutboxEventSchema } from '../outbox/outbox-event.entity.js';
import { connectionBounds, guardPool } from './guarded-pool.js';
import { migrations } from './migrations/index.js';
import { replicaConnections } from './replicas/replica-connections.js';
import { type NamedPool, RoutedPostgreSqlDriver } from './replicas/routed-driver.js';
import { scopedContext } from './request-scope.js';
import { perTransactionStatementTimeout, type StatementTimeoutSettings, startupStatementTimeout } from './statement-timeout.js';

/**
 * Every PostgreSQL entity: the domains' (their modules, src/modules.ts) and
 * the shared idempotency and outbox records. The schema they describe is the
 * one migrations build.
 */
export const postgresEntities = [...MODULES.flatMap((module) => module.entities), IdempotencyRecordSchema, OutboxEventSchema];

export interface PostgresSettings extends StatementTimeoutSettings {
  readonly url: string;
  /** Read replicas: only reads a ReadRouter sends there go there (they can lag the primary). */
  readonly replicaUrls?: readonly string[];
  readonly poolMax?: number;
  /**
   * Keys of personal data at rest (sealed columns, the email blind index).
   * Without them the ORM can still migrate an empty schema, but reading or
   * writing a sealed column throws.
   */
  readonly fieldCrypto?: FieldCrypto;
  /** Where the ORM's own messages (migrations applied...) go; dropped when unset. */
  readonly log?: (message: string) => void;
}

export type PostgresOrm = MikroORM;

/**
 * MikroORM options for PostgreSQL. Inside a request scope the global
 * EntityManager resolves to that request's own fork (see request-scope.ts).
 */
export function postgresOptions(settings: PostgresSettings, root: () => EntityManager): Options {
  const replicas = replicaConnections(settings);
  return defineConfig({
    clientUrl: settings.url,
    driver: RoutedPostgreSqlDriver,
    ...replicas,
    subscribers: [...replicas.subscribers, ...perTransactionStatementTimeout(settings)],
    entities: postgresEntities,
    extensions: settings.fieldCrypto ? [Migrator, fieldCryptoExtension(settings.fieldCrypto)] : [Migrator],
    contextName: 'pg',
    context: scopedContext(root),
    allowGlobalContext: false,
    pool: { min: 0, max: settings.poolMax ?? 10, idleTimeoutMillis: 30_000 },
    driverOptions: {
      ...startupStatementTimeout(settings),
      ...connectionBounds(settings),
      connectionTimeoutMillis: 5_000,
      application_name: 'campus-data',
      onPoolCreated: (pool: pg.Pool) => guardPool(pool, settings),
    },
    migrations: {
      migrationsList: migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    forceUtcTimezone: true,
    logger: settings.log ?? (() => undefined),
    colors: false,
  });
}

export async function openPostgres(settings: PostgresSettings): Promise<PostgresOrm> {
  let orm: PostgresOrm | undefined;
  orm = await MikroORM.init(
    postgresOptions(settings, () => {
      if (orm === undefined) throw new Error('PostgreSQL ORM used before init');
      return orm.em;
    }),
  );
  // init() connects lazily; connect now so a wrong URL fails at start.
  await orm.connect();
  return orm;
}

/** The `pg` pools under the ORM: the primary's, then each replica's. */
export function postgresPools(orm: PostgresOrm): Promise<NamedPool[]> {
  return (orm.em.getDriver() as unknown as RoutedPostgreSqlDriver).pools();
}
