/**
 * `npm run bench:events`: RecordEvents throughput. Starts the service
 * in-process over the in-process MongoDB stand-in and a fresh database on the
 * local PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * then CALLERS concurrent gRPC clients send batches of BATCH events for
 * SECONDS seconds and the events recorded per second are printed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { credentials, Metadata } from '@grpc/grpc-js';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { AnalyticsServiceClient, type Event, EventType } from '../generated/campus/analytics/v1/analytics.js';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.js';
import { openPostgres } from '../src/db/postgres.js';
import { createLogger } from '../src/logger.js';
import { BENCH_FIELD_KEYS_ENV, benchFieldCrypto } from './bench-keys.js';

const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USERS = 200;
const ITEMS = 20;
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The token the load calls with, made for this run. */
const TOKEN = randomBytes(32).toString('base64url');

async function main(): Promise<void> {
  const dbName = `campus_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const mongo = await startEmbeddedMongo();
  try {
    const migrator = await openPostgres({ url: dbUrl.toString(), statementTimeoutMs: 60_000 });
    await migrator.migrator.up();
    await migrator.close();
    const { users, items } = await seed(dbUrl.toString());

    const config = loadConfig({
      GRPC_PORT: '0',
      GRPC_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DATABASE_URL: dbUrl.toString(),
      MONGO_URL: mongo.url,
      LOG_LEVEL: 'warn',
      ANALYTICS_ROLLUP_INTERVAL_MS: '0',
      ...BENCH_FIELD_KEYS_ENV,
      // The events come from a service, as they do in production.
      SERVICE_TOKENS: JSON.stringify([
        {
          name: 'bench-events',
          sha256: createHash('sha256').update(TOKEN).digest('hex'),
          methods: ['campus.analytics.v1.AnalyticsService/RecordEvents'],
        },
      ]),
    });
    const app = await startApp(config, { log: createLogger('warn') });
    try {
      const result = await drive(app.grpcPort, users, items);
      const perSecond = Math.round(result.accepted / result.seconds);
      // Client, service and the MongoDB stand-in share this one process: events per CPU-second
      // is what one core sustains, whatever else the machine is running.
      const perCpuSecond = Math.round(result.accepted / result.cpuSeconds);
      const load = loadavg()[0]?.toFixed(1);
      process.stdout.write(
        `${JSON.stringify({ batch: BATCH, callers: CALLERS, seconds: Number(result.seconds.toFixed(2)), calls: result.calls, accepted: result.accepted, rejected: result.rejected, eventsPerSecond: perSecond, eventsPerCpuSecond: perCpuSecond, cpuSeconds: Number(result.cpuSeconds.toFixed(2)), loadAverage: Number(load), p50ms: result.p50, p99ms: result.p99 })}\n`,
      );
      process.stdout.write(
        `RecordEvents: ${perSecond} events/s (batches of ${BATCH}, ${CALLERS} concurrent callers; ${perCpuSecond} per CPU-second; load average ${load})\n`,
      );
    } finally {
      await app.shutdown();
    }
  } finally {
    await mongo.stop();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

async function seed(url: string): Promise<{ users: string[]; items: string[] }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const users = Array.from({ length: USERS }, () => uuidv7());
    const items = Array.from({ length: ITEMS }, () => uuidv7());
    const { keyRing, blindIndex } = benchFieldCrypto;
    // Personal data is sealed at rest: the database refuses plaintext names and emails.
    for (const id of users) {
      const email = `${id}@example.test`;
      await db.query(
        `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time)
         values ($1, $2, $3, $4, 'student', 'x', now(), now())`,
        [id, keyRing.seal('Bench', 'users.name'), keyRing.seal(email, 'users.email'), blindIndex.ofEmail(email)],
      );
    }
    for (const id of items) {
      await db.query(
        `insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time)
         values ($1, 'Bench course', 'x', 0, 'EUR', true, now(), now())`,
        [id],
      );
    }
    return { users, items };
  } finally {
    await db.end();
  }
}

async function drive(port: number, users: string[], items: string[]) {
  const client = new AnalyticsServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });
  const bearer = new Metadata();
  bearer.set('authorization', `Bearer ${TOKEN}`);
  const types = [EventType.EVENT_TYPE_LESSON_VIEWED, EventType.EVENT_TYPE_LESSON_COMPLETED, EventType.EVENT_TYPE_POST_CREATED];
  let n = 0;
  const batch = (): Event[] =>
    Array.from({ length: BATCH }, () => {
      n++;
      return {
        type: types[n % types.length] ?? EventType.EVENT_TYPE_LESSON_VIEWED,
        userId: users[n % users.length] ?? '',
        catalogItemId: items[n % items.length] ?? '',
        lessonId: '',
        occurTime: new Date(Date.now() - (n % 3_600) * 1_000),
        properties: { device: n % 2 ? 'phone' : 'desktop', seconds: n % 600 },
      };
    });
  const send = (events: Event[]) =>
    new Promise<{ acceptedCount: number; rejections: unknown[] }>((resolve, reject) => {
      client.recordEvents({ events }, bearer, (err, res) => (err ? reject(err) : resolve(res)));
    });

  await send(batch()); // warm-up: connections, memo, JIT
  let accepted = 0;
  let rejected = 0;
  let calls = 0;
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < until) {
        const events = batch();
        const t = performance.now();
        const res = await send(events);
        latencies.push(performance.now() - t);
        accepted += res.acceptedCount;
        rejected += res.rejections.length;
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  client.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return { accepted, rejected, calls, seconds, cpuSeconds, p50: pct(0.5), p99: pct(0.99) };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
