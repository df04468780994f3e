import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, ConfigError, type FieldKeys, loadConfig } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The keys of personal data at rest: ENCRYPTION_KEYS and BLIND_INDEX_KEY when
 * set. Otherwise (never under NODE_ENV=production, which loadConfig already
 * refuses) development keys from `<DATA_DIR>/keys.json`, generated on first
 * use with mode 0600, with a warning on every start: the embedded default
 * works with nothing configured, and its data stays readable across restarts
 * as long as that file is kept beside it.
 */
export async function loadFieldKeys(config: Pick<Config, 'fieldKeys' | 'production' | 'dataDir'>, log: Logger): Promise<FieldKeys> {
  if (config.fieldKeys) return config.fieldKeys;
  if (config.production) throw new ConfigError('ENCRYPTION_KEYS and BLIND_INDEX_KEY are required when NODE_ENV=production');
  const file = path.join(config.dataDir, 'keys.json');
  const keys = (await readKeysFile(file)) ?? (await createKeysFile(file));
  log.warn(
    { file },
    'ENCRYPTION_KEYS and BLIND_INDEX_KEY are unset: personal data is sealed with development keys from this file; set both outside development',
  );
  return keys;
}

interface KeysFile {
  readonly ENCRYPTION_KEYS: string;
  readonly BLIND_INDEX_KEY: string;
}

async function readKeysFile(file: string): Promise<FieldKeys | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: Partial<KeysFile>;
  try {
    parsed = JSON.parse(text) as Partial<KeysFile>;
  } catch {
    throw new ConfigError(`${file} is not valid JSON`);
  }
  // The same rules as the environment variables, with the file named in errors.
  try {
    const keys = loadConfig({ ENCRYPTION_KEYS: parsed.ENCRYPTION_KEYS, BLIND_INDEX_KEY: parsed.BLIND_INDEX_KEY }).fieldKeys;
    if (!keys) throw new ConfigError('ENCRYPTION_KEYS and BLIND_INDEX_KEY are missing');
    return keys;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
}

async function createKeysFile(file: string): Promise<FieldKeys> {
  const content: KeysFile = {
    ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString('base64')}`,
    BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
  };
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // wx: when two processes start at once, the second reads the first one's keys.
    await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const keys = await readKeysFile(file);
  if (!keys) throw new Error(`${file} vanished right after it was written`);
  return keys;
}
