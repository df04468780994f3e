/**
 * `npm run bench:idle`: the memory of the compiled service at rest, as
 * `npm start` runs it (built when stale, migrated, one Node process on
 * dist/), over the bench database, the local Redis and the MongoDB-wire
 * stand-in in a process of its own. Prints its resident set size and V8 heap
 * (from its own /metrics) after it has served nothing for `--seconds`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase } from './bench-database.js';
import { BENCH_FIELD_KEYS_ENV } from './bench-keys.js';
import { startMongoStandIn } from './mongo-stand-in-host.js';

const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? 10);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = fileURLToPath(new URL('..', import.meta.url));

const databaseUrl = await createBenchDatabase(adminUrl, 'campus_bench_idle');
const mongo = await startMongoStandIn();
const dataDir = await mkdtemp(path.join(tmpdir(), 'campus-idle-'));
let service: ChildProcess | undefined;
try {
  service = spawn('sh', ['scripts/start.sh'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ...BENCH_FIELD_KEYS_ENV,
      DATABASE_URL: databaseUrl,
      MONGO_URL: mongo.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `bench-idle:${randomBytes(4).toString('hex')}:`,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_PORT: '0',
      ASSET_EMBEDDED_STORAGE_PORT: '0',
      ASSET_EMBEDDED_EDGE_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
  });
  const metricsPort = await servingOn(service);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  // `exec` in start.sh: the shell's pid is the service's.
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(await readStatus(service.pid ?? 0))?.[1] ?? 0);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const heapUsed = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? 0);
  const heapTotal = Number(/^nodejs_heap_size_total_bytes (\S+)$/m.exec(metrics)?.[1] ?? 0);
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
  console.log(
    `compiled service (npm start) after ${seconds} s idle: RSS ${mib(rssKiB * 1024)}, V8 heap used ${mib(heapUsed)} of ${mib(heapTotal)}` +
      ' (MongoDB stand-in in its own process, not counted)',
  );
} finally {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service?.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  await mongo.stop();
  await rm(dataDir, { recursive: true, force: true });
}

/** Waits for the service's "serving" log line; its metrics port. */
function servingOn(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.includes('campus-data serving')) return;
      resolve((JSON.parse(line) as { metricsPort: number }).metricsPort);
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before serving`)));
  });
}

function readStatus(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/status`, 'utf8');
}
