import type { EntityManager } from '@mikro-orm/core';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/mongodb';
import { MODULES } from '../modules.js';
import { scopedContext } from './request-scope.js';

/** Every MongoDB entity, from the domains' modules (src/modules.ts); their indexes are ensured at start. */
export const mongoEntities = MODULES.flatMap((module) => module.mongoEntities ?? []);

export interface MongoSettings {
  readonly url: string;
  readonly dbName: string;
}

export type MongoOrm = MikroORM;

export function mongoOptions(settings: MongoSettings, root: () => EntityManager): Options {
  return defineConfig({
    clientUrl: settings.url,
    dbName: settings.dbName,
    entities: [...mongoEntities],
    contextName: 'mongo',
    context: scopedContext(root),
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    ensureIndexes: false,
    // monitorCommands feeds db_client_operation_duration_seconds; events are only built while someone listens.
    driverOptions: { serverSelectionTimeoutMS: 5_000, connectTimeoutMS: 5_000, monitorCommands: true },
  });
}

/** Connects and ensures every declared index (idempotent). */
export async function openMongo(settings: MongoSettings): Promise<MongoOrm> {
  let orm: MongoOrm | undefined;
  orm = await MikroORM.init(
    mongoOptions(settings, () => {
      if (orm === undefined) throw new Error('MongoDB ORM used before init');
      return orm.em;
    }),
  );
  await orm.schema.ensureIndexes();
  return orm;
}
