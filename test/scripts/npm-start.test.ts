import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { call, connectAnonymous } from '../support/grpc.js';
import { alive, listening, npmStart, processTree, type Started, spawnedServiceEnv, startTime } from '../support/npm-start.js';

// `npm start` builds (when dist/ is stale), initialises an embedded PostgreSQL and migrates it: minutes on a busy machine.
const START_MS = 240_000;

let dataDir: string;
const admin = { email: `admin-${randomBytes(4).toString('hex')}@example.test`, password: randomBytes(18).toString('base64url') };
/** Every process any start in this file ran, so that none outlives the file whatever the outcome. */
const seen = new Map<number, string | undefined>();
const started: Started[] = [];

function start(): Started {
  const run = npmStart({
    ...spawnedServiceEnv(dataDir),
    SHUTDOWN_GRACE_MS: '2000',
    BOOTSTRAP_ADMIN_EMAIL: admin.email,
    BOOTSTRAP_ADMIN_PASSWORD: admin.password,
  });
  started.push(run);
  // Remember every process the start runs, also ones that would outlive it.
  const watch = setInterval(() => processesOf(run), 250);
  void run.exited.then(() => clearInterval(watch));
  return run;
}

/** The pids of the start's process tree, the embedded PostgreSQL's included, remembered for cleanup. */
function processesOf(run: Started): number[] {
  const tree = processTree(run.child.pid as number);
  for (const pid of tree) if (!seen.has(pid)) seen.set(pid, startTime(pid));
  return tree;
}

function postmasterPid(): number {
  return Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function signIn(port: number): Promise<string> {
  const auth = connectAnonymous(AuthServiceClient, port);
  try {
    return (await call(auth.login, auth, admin)).sessionToken;
  } finally {
    auth.close();
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILL to `pid` if it is still the process this file saw (not a later one reusing the pid). */
function kill(pid: number): void {
  if (!alive(pid) || startTime(pid) !== seen.get(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'campus-start-'));
  // As root, the embedded PostgreSQL runs as the user "postgres", who must reach its directory.
  await chmod(dataDir, 0o755);
});

afterAll(async () => {
  for (const run of started) run.child.kill('SIGKILL');
  for (const pid of seen.keys()) kill(pid);
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('npm start under a supervisor', () => {
  it(
    'when the supervisor sends SIGTERM to the npm start it spawned, then the service shuts down: its exit code, no process left, port closed',
    async () => {
      const run = start();
      const port = await within(run.serving, START_MS, 'serving');
      const processes = processesOf(run);
      const postmaster = postmasterPid();
      seen.set(postmaster, startTime(postmaster));
      expect(processes).toContain(postmaster);

      run.child.kill('SIGTERM');
      const exit = await within(run.exited, 30_000, 'exit after SIGTERM');

      expect(exit).toEqual({ code: 0, signal: null });
      expect(processes.filter(alive)).toEqual([]);
      expect(await listening(port)).toBe(false);
      expect(run.stdout.some((line) => line.includes('"campus-data stopped"'))).toBe(true);
    },
    START_MS + 60_000,
  );

  it(
    'when a second npm start is given the DATA_DIR of a running one, then it refuses with one line and the first keeps serving from its database',
    async () => {
      const first = start();
      const port = await within(first.serving, START_MS, 'first serving');
      const postmaster = postmasterPid();
      seen.set(postmaster, startTime(postmaster));
      processesOf(first);

      const second = start();
      const exit = await within(second.exited, START_MS, 'second start refused');
      processesOf(second);

      expect(exit.code).not.toBe(0);
      const refusal = second.stderr.filter((line) => line.includes('in use'));
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).toContain(dataDir);
      expect(second.stderr.join('\n')).not.toMatch(/\n\s+at /);
      expect(alive(postmaster)).toBe(true);
      expect(postmasterPid()).toBe(postmaster);
      expect(await signIn(port)).not.toBe('');

      first.child.kill('SIGTERM');
      expect(await within(first.exited, 30_000, 'first exit')).toEqual({ code: 0, signal: null });
    },
    2 * START_MS + 60_000,
  );

  it(
    'when the previous instance was killed and left its PostgreSQL running, then the next start stops that leftover and serves',
    async () => {
      const killed = start();
      await within(killed.serving, START_MS, 'first serving');
      const leftover = postmasterPid();
      seen.set(leftover, startTime(leftover));
      const postgres = processTree(leftover);
      for (const pid of processesOf(killed)) if (!postgres.includes(pid)) kill(pid);
      await within(killed.exited, 30_000, 'killed exit');
      expect(alive(leftover)).toBe(true);

      const next = start();
      const port = await within(next.serving, START_MS, 'next serving');
      processesOf(next);
      expect(alive(leftover)).toBe(false);
      expect(await signIn(port)).not.toBe('');

      next.child.kill('SIGTERM');
      expect(await within(next.exited, 30_000, 'next exit')).toEqual({ code: 0, signal: null });
    },
    2 * START_MS + 60_000,
  );
});
