/**
 * Measures what timing every statement costs: sequential point reads through
 * the ORM with and without the pool instrumentation, and the labelling plus
 * histogram observation alone. Usage: DATABASE_URL=... node --import tsx scripts/bench-db-metrics.ts
 */
import { Registry } from 'prom-client';
import { openPostgres } from '../src/db/postgres.js';
import { DbMetrics } from '../src/metrics/db-metrics.js';
import { instrumentPostgres } from '../src/metrics/postgres-instrumentation.js';
import { sqlLabels } from '../src/metrics/sql-statement.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.N ?? 5_000);

async function run(instrument: boolean): Promise<number> {
  const orm = await openPostgres({ url, statementTimeoutMs: 10_000, poolMax: 1 });
  if (instrument) await instrumentPostgres(orm, new DbMetrics(new Registry()));
  const conn = orm.em.getConnection();
  for (let i = 0; i < 500; i++) await conn.execute(`select relname from pg_class where relname = 'pg_class' limit 1`);
  const start = performance.now();
  for (let i = 0; i < N; i++) await conn.execute(`select relname from pg_class where relname = 'x${i}' limit 1`);
  const us = ((performance.now() - start) * 1000) / N;
  await orm.close();
  return us;
}

const plain: number[] = [];
const timed: number[] = [];
for (let round = 0; round < 3; round++) {
  plain.push(await run(false));
  timed.push(await run(true));
}
const metrics = new DbMetrics(new Registry());
const start = performance.now();
for (let i = 0; i < 200_000; i++) {
  const { operation, table } = sqlLabels(`select "u0".* from "users" as "u0" where "u0"."id" = '${i}' limit 1`);
  metrics.observe('postgresql', operation, table, 0.0004);
}
const labelUs = ((performance.now() - start) * 1000) / 200_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
console.log(
  `per statement: ${median(plain).toFixed(1)} µs plain, ${median(timed).toFixed(1)} µs timed (median of 3 x ${N}); labelling + observe alone: ${labelUs.toFixed(2)} µs`,
);
