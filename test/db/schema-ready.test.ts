import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrateUnderLock } from '../../src/db/migrate-under-lock.js';
import { openPostgres } from '../../src/db/postgres.js';
import { missingMigrations } from '../../src/db/schema-ready.js';
import { createLogger } from '../../src/logger.js';
import { openStores } from '../../src/stores.js';
import { createTestDatabase } from '../support/databases.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function replicaConfig(waitMs: number) {
  return loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: 'test:schema-ready:',
    DATABASE_SCHEMA_WAIT_MS: String(waitMs),
    ...TEST_FIELD_KEYS_ENV,
  });
}

describe('a replica starting before its schema is there', () => {
  it('when no migration has run and none comes within the wait, then the start is refused naming the migrations', async () => {
    const started = Date.now();
    await expect(openStores(replicaConfig(600), createLogger('silent'))).rejects.toThrow(
      /lacks \d+ migration\(s\) this version needs \(Migration20261125001401, .*run npm run migrate/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('when the migrator finishes while it waits, then it starts after the last migration, not before', async () => {
    const starting = openStores(replicaConfig(30_000), createLogger('silent')).then((stores) => ({ stores, at: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
    let migratedAt = 0;
    try {
      expect((await migrateUnderLock(orm, db.url, 30_000)).length).toBeGreaterThan(0);
      migratedAt = Date.now();
    } finally {
      await orm.close();
    }
    const { stores, at } = await starting;
    try {
      expect(at).toBeGreaterThanOrEqual(migratedAt);
      expect(await missingMigrations(stores.pg)).toEqual([]);
    } finally {
      await stores.close();
    }
  });
});
