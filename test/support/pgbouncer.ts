import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/server/free-port.js';
import { chownPostgres } from './pg-standby.js';
import { portAnswers } from './port-answers.js';

const BIN = '/usr/sbin/pgbouncer';

/**
 * PgBouncer (Debian's, 1.18) in transaction pooling mode on a free loopback
 * port, in front of the PostgreSQL at `backendUrl`: every database name a
 * client asks for is the backend's database of that name, logged in as the
 * backend URL's user. Without `ignore_startup_parameters`, so a client that
 * sends one PgBouncer does not know is refused, as in production. As root it
 * runs as OS user postgres (PgBouncer refuses to run as root).
 */
export class PgBouncer {
  private constructor(
    private readonly dir: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(backendUrl: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
    const backend = new URL(backendUrl);
    const dir = await mkdtemp(join(tmpdir(), 'campus-pgbouncer-'));
    const port = await freePort();
    const ini = [
      '[databases]',
      `* = host=${backend.hostname} port=${backend.port || '5432'} user=${decodeURIComponent(backend.username) || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 5}`,
      'max_client_conn = 200',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      'admin_users = postgres',
    ].join('\n');
    await writeFile(join(dir, 'pgbouncer.ini'), `${ini}\n`);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await chownPostgres(dir);
      await chownPostgres(join(dir, 'pgbouncer.ini'));
    }
    const child = spawn(BIN, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
    const bouncer = new PgBouncer(dir, child, port);
    try {
      await waitForPort(port, child, 10_000);
      return bouncer;
    } catch (err) {
      await bouncer.stop();
      throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${await bouncer.log()}`);
    }
  }

  /** `backendUrl` with its host and port replaced by this bouncer's. */
  urlFor(backendUrl: string): string {
    const url = new URL(backendUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, 'pgbouncer.log'), 'utf8').catch(() => '');
  }

  /** Immediate shutdown (SIGTERM in 1.18), SIGKILL if it lingers; removes its directory. Never throws. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    if (await portAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}

/**
 * When the run asks for it (`TEST_PGBOUNCER=1`, see `npm run test:pgbouncer`),
 * the test server reaches its database through a PgBouncer of its own in
 * transaction mode, as a fleet would: `DATABASE_POOLER=transaction`, and the
 * server-side statement timeout set on the test database (the production
 * recipe sets it on the role; the role here is shared with other databases).
 * Returns the settings to start the service with and how to stop the bouncer.
 */
export async function throughPgBouncerIfAsked(
  directUrl: string,
  statementTimeoutMs: number,
): Promise<{ env: Record<string, string>; stop(): Promise<void> } | undefined> {
  if (process.env.TEST_PGBOUNCER !== '1') return undefined;
  return throughPgBouncer(directUrl, statementTimeoutMs);
}

/** The service's settings for `directUrl` behind a new PgBouncer (see throughPgBouncerIfAsked). */
export async function throughPgBouncer(
  directUrl: string,
  statementTimeoutMs: number,
): Promise<{ env: Record<string, string>; bouncer: PgBouncer; stop(): Promise<void> }> {
  await setDatabaseStatementTimeout(directUrl, statementTimeoutMs);
  const bouncer = await PgBouncer.start(directUrl);
  return {
    env: { DATABASE_URL: bouncer.urlFor(directUrl), DATABASE_POOLER: 'transaction', STATEMENT_TIMEOUT_MS: String(statementTimeoutMs) },
    bouncer,
    stop: () => bouncer.stop(),
  };
}

/** `ALTER DATABASE ... SET statement_timeout`: the server's default for new connections to it. */
export async function setDatabaseStatementTimeout(directUrl: string, ms: number | undefined): Promise<void> {
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    const db = new URL(directUrl).pathname.slice(1);
    await client.query(
      ms === undefined
        ? `alter database "${db}" reset statement_timeout`
        : `alter database "${db}" set statement_timeout = ${Math.ceil(ms)}`,
    );
  } finally {
    await client.end();
  }
}
