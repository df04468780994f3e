import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecureLinkKey } from '../../src/asset/secure-link-signer.js';

export const NGINX = '/usr/sbin/nginx';

export interface NginxEdge {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Debian's nginx in the foreground, with ops/nginx/asset-edge.conf (the
 * configuration docs/assets.md gives) inside a minimal main configuration,
 * everything (pid, logs, temp files, cache) in a temp dir of its own.
 */
export async function startNginxEdge(opts: {
  port: number;
  origin: string;
  bucket: string;
  keys: readonly SecureLinkKey[];
}): Promise<NginxEdge> {
  const dir = await mkdtemp(path.join(tmpdir(), 'campus-nginx-'));
  // Started as root, nginx's workers run as nobody: they must reach their cache and temp dirs.
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'logs'));
  const keysFile = path.join(dir, 'asset-keys.conf');
  await writeFile(keysFile, opts.keys.map((k) => `${k.kid} "${k.secret}";\n`).join(''));
  const edge = (await readFile('ops/nginx/asset-edge.conf', 'utf8'))
    .replaceAll('__LISTEN__', `127.0.0.1:${opts.port}`)
    .replaceAll('__ORIGIN__', opts.origin)
    .replaceAll('__BUCKET__', opts.bucket)
    .replaceAll('__CACHE_DIR__', path.join(dir, 'cache'))
    .replaceAll('__KEYS_FILE__', keysFile);
  await writeFile(path.join(dir, 'asset-edge.conf'), edge);
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, `${name}-temp`)};`;
  await writeFile(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${temp(name)}`),
      `  include ${path.join(dir, 'asset-edge.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await answers(opts.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { baseUrl: `http://127.0.0.1:${opts.port}/`, stop };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
