/**
 * `npm run docs:config`: writes the configuration table (src/config.ts and
 * the module sections it composes) into README.md, between its markers.
 * With `--check` it writes nothing and fails when the README is not current.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_DOC, withConfigTable } from '../src/config-doc.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', CONFIG_DOC);

async function main(): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = withConfigTable(before);
  if (process.argv.includes('--check')) {
    if (after === before) return;
    process.stderr.write(`${CONFIG_DOC} is not current: run npm run docs:config\n`);
    process.exit(1);
  }
  if (after !== before) await writeFile(file, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'wrote'} the configuration table of ${CONFIG_DOC}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`docs:config failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
