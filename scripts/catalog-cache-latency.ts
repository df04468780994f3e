/**
 * GetCatalogItem latency with the cache and without it (CACHE_ENABLED=false):
 * two instances of the service over one database, each asked for the same
 * seeded items by one sequential caller through the real gRPC client; prints
 * p50 / p90 / p99 of each. Usage:
 *   node --import tsx scripts/catalog-cache-latency.ts   (N=5000 ITEMS=1000 by default)
 * Needs PostgreSQL (BENCH_DATABASE_URL, admin connection) and Redis (BENCH_REDIS_URL).
 */
import { randomBytes } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import pg from 'pg';
import { createBenchDatabase } from '../bench/bench-database.js';
import { CatalogServiceClient, type GetCatalogItemRequest } from '../generated/campus/catalog/v1/catalog.js';
import { type App, startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const N = Number(process.env.N ?? 5_000);
const ITEMS = Number(process.env.ITEMS ?? 1_000);

const databaseUrl = await createBenchDatabase(adminUrl, 'campus_cache_latency');
const sql = new pg.Client({ connectionString: databaseUrl });
await sql.connect();
const { rows } = await sql.query<{ id: string }>(
  `insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time)
   select gen_random_uuid(), 'Course ' || g, repeat('A description of the course. ', 10), 4900, 'EUR', true, now(), now()
     from generate_series(1, $1::int) g
   returning id`,
  [ITEMS],
);
await sql.query('analyze catalog_items');
await sql.end();
const ids = rows.map((r) => r.id);

const mongo = await startEmbeddedMongo();
const start = (cacheEnabled: boolean) =>
  startApp(
    loadConfig({
      GRPC_PORT: '0',
      GRPC_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DATABASE_URL: databaseUrl,
      MONGO_URL: mongo.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `latency:${randomBytes(4).toString('hex')}:`,
      LOG_LEVEL: 'warn',
      CACHE_ENABLED: String(cacheEnabled),
      ANALYTICS_ROLLUP_INTERVAL_MS: '0',
    }),
  );

/** Latencies in ms of `n` sequential calls over the item ids, after one warm-up pass over all of them. */
async function measure(app: App, n: number): Promise<number[]> {
  const client = new CatalogServiceClient(`127.0.0.1:${app.grpcPort}`, credentials.createInsecure());
  const get = (request: GetCatalogItemRequest) =>
    new Promise<void>((resolve, reject) => client.getCatalogItem(request, (err) => (err ? reject(err) : resolve())));
  try {
    for (const id of ids) await get({ id });
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = ids[(i * 7919) % ids.length] as string;
      const t0 = performance.now();
      await get({ id });
      latencies.push(performance.now() - t0);
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    client.close();
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const line = (name: string, l: number[]) =>
  `${name.padEnd(9)} p50 ${pct(l, 50).toFixed(3)} ms  p90 ${pct(l, 90).toFixed(3)} ms  p99 ${pct(l, 99).toFixed(3)} ms  (${l.length} calls)`;

const cached = await start(true);
const uncached = await start(false);
try {
  // Alternate, so that drift in machine load falls on both.
  const results = { cached: [] as number[], uncached: [] as number[] };
  for (let round = 0; round < 2; round++) {
    results.uncached.push(...(await measure(uncached, N / 2)));
    results.cached.push(...(await measure(cached, N / 2)));
  }
  results.cached.sort((a, b) => a - b);
  results.uncached.sort((a, b) => a - b);
  console.log(`GetCatalogItem, one sequential caller, ${ITEMS} items`);
  console.log(line('cached', results.cached));
  console.log(line('uncached', results.uncached));
  console.log(`p50 ratio uncached/cached: ${(pct(results.uncached, 50) / pct(results.cached, 50)).toFixed(2)}`);
} finally {
  await cached.shutdown();
  await uncached.shutdown();
  await mongo.stop();
}
