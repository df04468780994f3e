import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { SHUTDOWN_MARGIN_MS } from '../../src/app.js';
import { migrateUnderLock } from '../../src/db/migrate-under-lock.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createTestDatabase } from '../support/databases.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';
import { call, connectAnonymous } from '../support/grpc.js';
import { ROOT, spawnedServiceEnv } from '../support/npm-start.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const GRACE_MS = 1_000;
/** Scheduling slack on a loaded machine. */
const SLACK_MS = 1_500;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: TcpProxy;
let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  const migrator = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  await migrateUnderLock(migrator, db.url, 60_000);
  await migrator.close();
  proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432));
  dataDir = await mkdtemp(path.join(tmpdir(), 'campus-stall-'));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await proxy?.close();
  await db?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The service as its own process (src/main.ts), its PostgreSQL reached through the proxy. */
function startService(): {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  serving: Promise<number>;
  exited: Promise<number | null>;
} {
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATABASE_URL: url.toString(),
      ...spawnedServiceEnv(dataDir),
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      ...TEST_FIELD_KEYS_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const serving = new Promise<number>((resolve, reject) => {
    let rest = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === 'campus-data serving') resolve(Number(entry.grpcPort));
        } catch {
          // not a log line
        }
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`service exited (${code}) before serving:\n${stderr}`)));
  });
  serving.catch(() => undefined);
  return { child: proc, lines, serving, exited };
}

describe('shutdown while PostgreSQL stalls', () => {
  it('when SIGTERM arrives while a call waits on a silent PostgreSQL connection, then the process exits within the grace plus a fixed margin', async () => {
    const service = startService();
    child = service.child;
    const port = await service.serving;
    const auth = connectAnonymous(AuthServiceClient, port);
    try {
      // A login reads the users table: the pooled connection it takes, or the one it opens, stays silent.
      proxy.stall();
      let settled = 0;
      const stuck = Array.from({ length: 4 }, () =>
        call(auth.login, auth, { email: `nobody-${randomBytes(3).toString('hex')}@example.test`, password: 'x'.repeat(12) })
          .catch((err: unknown) => err)
          .finally(() => settled++),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      // At least one call still waits on PostgreSQL when the stop is asked for.
      expect(settled).toBeLessThan(stuck.length);

      const signalled = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([service.exited, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 20_000))]);
      const took = Date.now() - signalled;

      const said = service.lines.filter((l) => l.msg !== 'rpc').map((l) => l.msg);
      expect(code, `still running; it said: ${said.slice(-6).join(' | ')}`).not.toBe('alive');
      expect(took).toBeLessThan(GRACE_MS + SHUTDOWN_MARGIN_MS + SLACK_MS);
      proxy.restore();
      await Promise.all(stuck);
    } finally {
      auth.close();
    }
  }, 60_000);
});
