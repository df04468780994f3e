import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { inject } from 'vitest';
import { procStat } from '../../src/db/proc-stat.js';

export { processStartTime as startTime } from '../../src/db/proc-stat.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Started {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the gRPC port once the service logs that it is serving. */
  readonly serving: Promise<number>;
  /** Resolves when the npm process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * What a spawned service needs besides its stores: loopback, ephemeral ports,
 * its data in `dataDir`, the test Redis under a key prefix of its own.
 */
export function spawnedServiceEnv(dataDir: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    ASSET_EMBEDDED_STORAGE_PORT: '0',
    ASSET_EMBEDDED_EDGE_PORT: '0',
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    LOG_LEVEL: 'info',
  };
}

/**
 * `npm start` spawned the way a supervisor (systemd, a container runtime)
 * would: one child, its own stdio, signals sent to its pid. Only PATH and
 * HOME are inherited; everything else is `env`.
 */
export function npmStart(env: Record<string, string>): Started {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const serving = new Promise<number>((resolve, reject) => {
    lines(child.stdout, (line) => {
      stdout.push(line);
      const entry = parse(line);
      if (entry?.msg === 'campus-data serving') resolve(Number(entry.grpcPort));
    });
    lines(child.stderr, (line) => stderr.push(line));
    void exited.then(({ code, signal }) =>
      reject(new Error(`npm start exited (${code ?? signal}) before serving:\n${stderr.join('\n')}\n${stdout.join('\n')}`)),
    );
  });
  serving.catch(() => undefined);
  return { child, stdout, stderr, serving, exited };
}

/** Every live process under `pid` (children, grandchildren, ...), `pid` included. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i] as number) ?? []));
  return tree;
}

/** Whether `pid` is a live process (a zombie waiting for its parent counts as gone). */
export function alive(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** Resolves true when something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function parentOf(pid: number): number | undefined {
  const ppid = procStat(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line) onLine(line);
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
