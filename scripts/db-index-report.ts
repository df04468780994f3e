/**
 * `npm run db:index-report`: unused indexes, tables read mostly by sequential
 * scans, and foreign keys without an index, from PostgreSQL's statistics and
 * catalog, for DATABASE_URL (or the embedded database when it is unset).
 * Statistics count since the last reset: run it against a database that has
 * served real traffic.
 */
import pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/logger.js';
import { formatTable, seqScannedTables, unindexedForeignKeys, unusedIndexes } from './index-report.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir, createLogger('warn')) : undefined;
  const client = new pg.Client({ connectionString: config.databaseUrl ?? embedded?.url });
  try {
    await client.connect();
    const minRows = Number(process.argv.find((a) => a.startsWith('--min-rows='))?.slice('--min-rows='.length) ?? 1_000);
    process.stdout.write(
      [
        formatTable('Unused indexes (no scan since the statistics reset)', await unusedIndexes(client)),
        formatTable(`Tables read mostly by sequential scans (>= ${minRows} rows)`, await seqScannedTables(client, minRows)),
        formatTable('Foreign keys without an index on their columns', await unindexedForeignKeys(client)),
      ].join('\n'),
    );
  } finally {
    await client.end().catch(() => undefined);
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof ConfigError ? `config error: ${err.message}\n` : `index report failed: ${String(err)}\n`);
  process.exit(1);
});
