import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../src/config.js';

/** Everything a bench run can be told, from flags or BENCH_* variables (flags win). */
export interface BenchOptions {
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Closed-loop callers in total, spread over the load workers and their channels. */
  readonly concurrency: number;
  /** gRPC channels (HTTP/2 connections) in total, spread over the load workers. */
  readonly channels: number;
  /** Load generator processes. */
  readonly workers: number;
  /** Scenario names to run, in order; empty means all. */
  readonly scenarios: readonly string[];
  readonly seedUsers: number;
  /** Catalog items (with their lessons) inserted before the run. */
  readonly seedItems: number;
  /** Write a .cpuprofile of the service under test for each measured phase. */
  readonly cpuProf: boolean;
  /** LOG_LEVEL of the service under test. */
  readonly logLevel: LogLevel;
  /** A database on this server is dropped and created for the run. */
  readonly postgresAdminUrl: string;
  readonly redisUrl: string;
  readonly help: boolean;
}

export const BENCH_USAGE = `npm run bench -- [flags]

  --duration=SECONDS      measured phase per run            (BENCH_DURATION, default 10)
  --warmup=SECONDS        load before measuring             (BENCH_WARMUP, default 2)
  --concurrency=N         closed-loop callers in total      (BENCH_CONCURRENCY, default 32)
  --channels=N            client HTTP/2 connections         (BENCH_CHANNELS, default 4)
  --workers=N             load generator processes          (BENCH_WORKERS, default 1)
  --scenarios=a,b         scenarios to run                  (BENCH_SCENARIOS, default all)
  --seed-users=N          users inserted before the run     (BENCH_SEED_USERS, default 100000)
  --seed-items=N          catalog items (10 lessons each)   (BENCH_SEED_ITEMS, default 10000)
  --log-level=LEVEL       LOG_LEVEL of the service          (BENCH_LOG_LEVEL, default warn)
  --cpu-prof              write bench/profiles/*.cpuprofile (BENCH_CPU_PROF=1)
  BENCH_DATABASE_URL      admin connection, default postgres://postgres@127.0.0.1:5432/postgres
  BENCH_REDIS_URL         default redis://127.0.0.1:6379`;

type Env = Readonly<Record<string, string | undefined>>;

export function parseBenchOptions(argv: readonly string[], env: Env): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      channels: { type: 'string' },
      workers: { type: 'string' },
      scenarios: { type: 'string' },
      'seed-users': { type: 'string' },
      'seed-items': { type: 'string' },
      'log-level': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const pick = (flag: string | undefined, variable: string) => flag ?? env[variable];
  const concurrency = count('--concurrency', pick(values.concurrency, 'BENCH_CONCURRENCY'), 32);
  const channels = Math.min(concurrency, count('--channels', pick(values.channels, 'BENCH_CHANNELS'), 4));
  const workers = Math.min(channels, count('--workers', pick(values.workers, 'BENCH_WORKERS'), 1));
  return {
    durationMs: seconds('--duration', pick(values.duration, 'BENCH_DURATION'), 10) * 1000,
    warmupMs: seconds('--warmup', pick(values.warmup, 'BENCH_WARMUP'), 2, 0) * 1000,
    concurrency,
    channels,
    workers,
    scenarios: (pick(values.scenarios, 'BENCH_SCENARIOS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    seedUsers: count('--seed-users', pick(values['seed-users'], 'BENCH_SEED_USERS'), 100_000),
    seedItems: count('--seed-items', pick(values['seed-items'], 'BENCH_SEED_ITEMS'), 10_000),
    cpuProf: values['cpu-prof'] ?? ['1', 'true'].includes(env.BENCH_CPU_PROF ?? ''),
    logLevel: logLevel(pick(values['log-level'], 'BENCH_LOG_LEVEL') ?? 'warn'),
    postgresAdminUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    help: values.help ?? false,
  };
}

function seconds(name: string, raw: string | undefined, fallback: number, min = 0.1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}=${raw} is not a number of seconds >= ${min}`);
  return n;
}

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw} is not a whole number >= 1`);
  return n;
}

function logLevel(raw: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`--log-level=${raw} must be one of ${LOG_LEVELS.join(', ')}`);
  return raw as LogLevel;
}
