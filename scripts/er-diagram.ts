/**
 * `npm run docs:er`: writes docs/data-model.md from the PostgreSQL entity
 * metadata. Discovery needs no database: the ORM is built with the service's
 * own options but never connects.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { DATA_MODEL_DOC, renderDataModel } from '../src/db/data-model-doc.js';
import { postgresOptions } from '../src/db/postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const orm = new MikroORM(
    postgresOptions({ url: 'postgresql://127.0.0.1/unused', statementTimeoutMs: 1 }, () => {
      throw new Error('the data-model generator never queries the database');
    }),
  );
  const file = path.join(ROOT, DATA_MODEL_DOC);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, renderDataModel(orm.getMetadata()));
  await orm.close();
  process.stdout.write(`wrote ${DATA_MODEL_DOC}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`docs:er failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
