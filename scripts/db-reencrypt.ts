/**
 * `npm run db:reencrypt`: seals every personal value under the first key of
 * ENCRYPTION_KEYS and recomputes the email blind index under BLIND_INDEX_KEY,
 * for DATABASE_URL (or the embedded database when it is unset). Idempotent
 * and resumable; batches of `--batch=N` rows (default 500) per transaction.
 * Exits 1 when a value could not be opened (its table, id and column are
 * printed; never a value).
 *
 * Rotation: put the new key first in ENCRYPTION_KEYS keeping the old one,
 * restart every replica, run this, then remove the old key.
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { createFieldCrypto } from '../src/crypto/field-crypto.js';
import { loadFieldKeys } from '../src/crypto/field-keys-file.js';
import { resealPersonalData } from '../src/crypto/reseal.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { openPostgres } from '../src/db/postgres.js';
import { createLogger } from '../src/logger.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const crypto = createFieldCrypto(await loadFieldKeys(config, log));
  const batchSize = Number(process.argv.find((a) => a.startsWith('--batch='))?.slice('--batch='.length) ?? 500);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new ConfigError('--batch must be 1 to 10000');
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir, log) : undefined;
  try {
    const orm = await openPostgres({ url: config.databaseUrl ?? embedded?.url ?? '', statementTimeoutMs: 600_000, fieldCrypto: crypto });
    try {
      const report = await resealPersonalData(orm.em.fork(), crypto, {
        batchSize,
        onBatch: (progress) => log.info(progress, 'resealing'),
      });
      log.info({ primaryKid: crypto.keyRing.primaryKid, users: report.users, payments: report.payments }, 'personal data resealed');
      for (const failure of report.failed) log.error(failure, 'value could not be opened; left as it is');
      return report.failed.length > 0 ? 1 : 0;
    } finally {
      await orm.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      err instanceof ConfigError
        ? `config error: ${err.message}\n`
        : `re-encryption failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
