/**
 * `npm run migrate`: applies pending PostgreSQL migrations (to the embedded
 * PostgreSQL when DATABASE_URL is unset). `npm run migration:create` writes a
 * new migration from the difference between the entities and the database.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../config.js';
import { createFieldCrypto } from '../crypto/field-crypto.js';
import { loadFieldKeys } from '../crypto/field-keys-file.js';
import { createLogger } from '../logger.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { migrateUnderLock } from './migrate-under-lock.js';
import { openPostgres } from './postgres.js';

/** How long a migrator waits for another one to finish before it gives up. */
const MIGRATION_LOCK_WAIT_MS = 600_000;

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  // A migration may seal personal data that an older version stored in the clear.
  const fieldCrypto = createFieldCrypto(await loadFieldKeys(config, log));
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir, log) : undefined;
  try {
    const url = config.databaseUrl ?? embedded?.url ?? '';
    const orm = await openPostgres({
      url,
      statementTimeoutMs: 600_000,
      transactionPooling: config.databasePooler === 'transaction',
      fieldCrypto,
      log: (message) => log.info(message),
    });
    try {
      if (process.argv.includes('--create')) {
        const result = await orm.migrator.create(MIGRATIONS_DIR, false, false);
        log.info(
          { file: result.fileName, statements: result.diff.up.length },
          result.fileName
            ? 'migration written; list it in its module (or, spanning domains, in migrations/index.ts)'
            : 'schema is current; no migration written',
        );
      } else {
        // Replicas started at once each run this: the lock makes the first migrate and the others find nothing left.
        const applied = await migrateUnderLock(orm, url, MIGRATION_LOCK_WAIT_MS);
        log.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
      }
    } finally {
      await orm.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`config error: ${err.message}\n`);
  } else if (err instanceof DataDirInUseError) {
    process.stderr.write(`campus-data not started: ${err.message}\n`);
  } else {
    process.stderr.write(`migration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
