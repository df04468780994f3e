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
import { openPostgres } from './postgres.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  // A migration may seal personal data that an older version stored in the clear.
  const fieldCrypto = createFieldCrypto(await loadFieldKeys(config, log));
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir, log) : undefined;
  try {
    const orm = await openPostgres({
      url: config.databaseUrl ?? embedded?.url ?? '',
      statementTimeoutMs: 600_000,
      fieldCrypto,
      log: (message) => log.info(message),
    });
    try {
      if (process.argv.includes('--create')) {
        const result = await orm.migrator.create(MIGRATIONS_DIR, false, false);
        log.info(
          { file: result.fileName, statements: result.diff.up.length },
          result.fileName ? 'migration written; add it to migrations/index.ts' : 'schema is current; no migration written',
        );
      } else {
        const applied = await orm.migrator.up();
        log.info({ applied: applied.map((m) => m.name) }, applied.length ? 'migrations applied' : 'database is up to date');
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
