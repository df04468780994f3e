import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../src/server/free-port.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const DB = 'campus';

/** True when this machine can run the pair: PostgreSQL 15's binaries and root (to act as OS user postgres). */
export const canRunStandby = process.getuid?.() === 0;

/** One server of the pair: its data directory, port and processes. */
export class PgServer {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${DB}`;
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', [
      'start',
      '-w',
      '-t',
      '30',
      '-D',
      this.dir,
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
    ]);
  }

  /** Stops it at once (no checkpoint, like a crash); a frozen server is thawed first. */
  async stop(): Promise<void> {
    await this.signal('SIGCONT').catch(() => undefined);
    await asPostgres('pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', this.dir]).catch(() => undefined);
  }

  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): Promise<void> {
    return this.signal('SIGSTOP');
  }

  thaw(): Promise<void> {
    return this.signal('SIGCONT');
  }

  /** Runs one statement on this server as the superuser. */
  async query<Row = Record<string, unknown>>(sql: string, db = DB): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.url.replace(`/${DB}`, `/${db}`), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  private async signal(name: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const postmaster = Number((await readFile(join(this.dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).catch(() => ({ stdout: '' }));
    const children = stdout
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    // Backends first when stopping (the postmaster cannot fork new ones meanwhile), the postmaster first when resuming.
    const order = name === 'SIGSTOP' ? [...children, postmaster] : [postmaster, ...children];
    for (const pid of order) {
      try {
        process.kill(pid, name);
      } catch {
        // Gone already.
      }
    }
  }
}

/**
 * A PostgreSQL 15 primary (wal_level=replica) and a streaming standby made
 * with `pg_basebackup -R`, both run as OS user postgres on free loopback
 * ports, in a temp directory of their own. `stop()` stops both and removes
 * everything.
 */
export class PgStandbyPair {
  private constructor(
    private readonly root: string,
    readonly primary: PgServer,
    readonly standby: PgServer,
  ) {}

  static async start(): Promise<PgStandbyPair> {
    const root = await mkdtemp(join(tmpdir(), 'campus-pg-pair-'));
    await chownPostgres(root);
    const primary = new PgServer(join(root, 'primary'), await freePort());
    const standby = new PgServer(join(root, 'standby'), await freePort());
    const pair = new PgStandbyPair(root, primary, standby);
    try {
      await initServer(primary, ['wal_level = replica', 'max_wal_senders = 5', 'hot_standby = on']);
      await asPostgres('sh', ['-c', `echo "host replication all 127.0.0.1/32 trust" >> ${primary.dir}/pg_hba.conf`]);
      await primary.start();
      await primary.query(`create database ${DB}`, 'postgres');
      await asPostgres('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        'postgres',
        '-D',
        standby.dir,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
        '--no-sync',
      ]);
      await standby.start();
      return pair;
    } catch (err) {
      await pair.stop();
      throw err;
    }
  }

  /** Stops both servers and removes their directories. Never throws. */
  async stop(): Promise<void> {
    await Promise.all([this.standby.stop(), this.primary.stop()]);
    await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }

  /**
   * The primary's WAL position once everything committed so far is written
   * out: the primary commits asynchronously (synchronous_commit = off), so a
   * commit may still wait for the WAL writer; one synchronous commit writes
   * out all WAL before it.
   */
  async writtenLsn(): Promise<string> {
    await this.primary.query('begin; set local synchronous_commit = on; select txid_current(); commit');
    const [{ lsn }] = (await this.primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')) as [{ lsn: string }];
    return lsn;
  }

  /** The standby's replay position: everything up to it reads there. */
  async replayedLsn(): Promise<string> {
    const [{ lsn }] = (await this.standby.query<{ lsn: string }>('select pg_last_wal_replay_lsn()::text as lsn')) as [{ lsn: string }];
    return lsn;
  }

  /** Resolves once the standby has replayed everything the primary has committed so far. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const lsn = await this.writtenLsn();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const [row] = await this.standby.query<{ done: boolean }>(`select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as done`);
      if (row?.done) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('standby did not catch up');
  }
}

/** initdb for `server` with settings for a throwaway server (no fsync) plus `settings`. */
async function initServer(server: PgServer, settings: readonly string[]): Promise<void> {
  await asPostgres('initdb', ['-D', server.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const conf = [
    ...settings,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 16MB',
    'max_connections = 60',
  ];
  await asPostgres('sh', ['-c', `printf '%s\\n' ${conf.map((line) => `"${line}"`).join(' ')} >> ${server.dir}/postgresql.conf`]);
}

/**
 * One PostgreSQL 15 of its own (database `campus`), run as OS user postgres
 * on a free loopback port in a temp directory, for a test to stop, restart
 * and freeze. `remove()` stops it and removes everything; it never throws.
 */
export async function startOwnPgServer(): Promise<{ server: PgServer; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'campus-pg-own-'));
  await chownPostgres(root);
  const server = new PgServer(join(root, 'data'), await freePort());
  const remove = async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await initServer(server, []);
    await server.start();
    await server.query(`create database ${DB}`, 'postgres');
    return { server, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

function asPostgres(command: string, args: readonly string[]): Promise<unknown> {
  const bin = command === 'sh' ? 'sh' : join(BIN, command);
  return run('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd: '/tmp', timeout: 60_000 });
}

/** Hands `path` to OS user postgres (the tests run as root). */
export async function chownPostgres(path: string): Promise<void> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(path, Number(stdout.trim()), Number(gid.trim()));
}
