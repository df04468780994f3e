/**
 * `npm run bench`: each scenario's closed-loop load against the real service
 * (in this process, so its CPU and RSS are read here) and against a no-op
 * grpc-js server (in a child process), from load generators in child
 * processes. Prints a table and writes bench/results.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import pg from 'pg';
import { createBenchDatabase } from './bench-database.js';
import { BENCH_USAGE, type BenchOptions, parseBenchOptions } from './bench-options.js';
import { CpuProfiler } from './cpu-profiler.js';
import { startNoopServer } from './noop-server-host.js';
import { hotFunctions, selfTimeByPackage } from './profile-summary.js';
import { compare, formatResultsTable, type ScenarioResult } from './results-table.js';
import { runLoad } from './run-load.js';
import { callOnce, sampleResponse } from './sample-response.js';
import type { Scenario } from './scenario.js';
import { scenarios } from './scenarios.js';
import { seededRandom } from './seeded-random.js';
import { type ServiceUnderTest, startServiceUnderTest } from './service-under-test.js';

const DATABASE = 'campus_bench';
const RESULTS = new URL('./results.json', import.meta.url);
const PROFILES = new URL('./profiles/', import.meta.url);

let options: BenchOptions;
let selected: Scenario[];
try {
  options = parseBenchOptions(process.argv.slice(2), process.env);
  selected = selectScenarios(options);
} catch (err) {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${BENCH_USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
const progress = (message: string) => console.error(`[bench] ${message}`);

const environment = {
  node: process.version,
  cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}`,
  logLevel: options.logLevel,
  durationS: options.durationMs / 1000,
  warmupS: options.warmupMs / 1000,
  concurrency: options.concurrency,
  channels: options.channels,
  workers: options.workers,
  seedUsers: options.seedUsers,
  seedItems: options.seedItems,
  cpuProfile: options.cpuProf,
  database: DATABASE,
};

progress(`creating database ${DATABASE}`);
const databaseUrl = await createBenchDatabase(options.postgresAdminUrl, DATABASE);
const service = await startServiceUnderTest(databaseUrl, options);
const sql = new pg.Client({ connectionString: databaseUrl });
await sql.connect();
const profiler = options.cpuProf ? await CpuProfiler.open() : undefined;
const results: ScenarioResult[] = [];
try {
  for (const scenario of selected) results.push(await benchScenario(scenario));
} finally {
  profiler?.close();
  await sql.end();
  await service.stop();
}

console.log(
  [
    `campus-data bench: node ${environment.node}, ${environment.cpus}`,
    `service LOG_LEVEL=${options.logLevel}${logLevelNote(options)}; ${DATABASE} with ${options.seedUsers} users, ${options.seedItems} catalog items; Redis prefix ${service.redisKeyPrefix}`,
    `calls authenticate as service token "${service.callerName}" (SERVICE_TOKENS, methods "*"): the cheapest authentication, no store read`,
    `load: ${options.concurrency} closed-loop callers over ${options.channels} channels in ${options.workers} process(es); ` +
      `${environment.warmupS} s warm-up, ${environment.durationS} s measured per server`,
    options.cpuProf ? 'CPU profiler on for the service: its CPU figures include the profiler overhead' : '',
    '',
    formatResultsTable(results),
    '',
    'CPU µs/req and RSS are the server process only; cores = CPU seconds per second; client cores near 1 per worker = client-bound;',
    `machine cores = everything on the machine (of ${os.cpus().length}): well above server + client + PostgreSQL means other load skewed the run.`,
  ]
    .filter((line, i) => line !== '' || i > 3)
    .join('\n'),
);
await writeFile(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), environment, results }, null, 2)}\n`);
console.log(`\nwrote ${RESULTS.pathname}`);

async function benchScenario(scenario: Scenario): Promise<ScenarioResult> {
  if (scenario.env === undefined) return benchScenarioOn(service, scenario);
  progress(
    `${scenario.name}: a service of its own with ${Object.entries(scenario.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const own = await startServiceUnderTest(databaseUrl, options, scenario.env);
  try {
    return await benchScenarioOn(own, scenario);
  } finally {
    await own.stop();
  }
}

async function benchScenarioOn(service: ServiceUnderTest, scenario: Scenario): Promise<ScenarioResult> {
  progress(`${scenario.name}: setup`);
  const fixture = await scenario.setup({
    sql,
    options,
    call: (method, request) => callOnce(service.port, service.authorization, method, request, method.responseDeserialize),
  });
  const response = await sampleResponse(service.port, service.authorization, scenario, scenario.makeRequest(fixture, seededRandom(1))(0));

  progress(`${scenario.name}: no-op server (${response.length} byte response)`);
  const noop = await startNoopServer(scenario, response);
  const noopResult = await runLoad({
    port: noop.port,
    scenario,
    fixture,
    options,
    probe: noop.probe,
    authorization: service.authorization,
  }).finally(() => noop.stop());

  progress(`${scenario.name}: service`);
  let mongoMicros = 0;
  const probe = {
    start: async () => {
      mongoMicros = service.mongo.cpuMicros();
      await service.probe.start();
    },
    stop: async () => {
      const reading = await service.probe.stop();
      mongoMicros = service.mongo.cpuMicros() - mongoMicros;
      return reading;
    },
  };
  const profileFile = new URL(`${scenario.name.replaceAll(/[^A-Za-z0-9]+/g, '-')}-${Date.now()}.cpuprofile`, PROFILES);
  const serviceResult = await runLoad({
    port: service.port,
    scenario,
    fixture,
    options,
    probe,
    authorization: service.authorization,
    onMeasure: profiler && {
      start: () => profiler.start(),
      stop: async () => {
        await mkdir(PROFILES, { recursive: true });
        printProfile(scenario.name, profileFile, await profiler.stop(profileFile.pathname));
      },
    },
  });
  if (mongoMicros > 0)
    progress(
      `${scenario.name}: MongoDB stand-in (its own process, not in the service's figures): ${(mongoMicros / Math.max(1, serviceResult.requests)).toFixed(0)} µs CPU per request`,
    );
  return compare(scenario.name, serviceResult, noopResult);
}

function printProfile(name: string, file: URL, profile: Parameters<typeof hotFunctions>[0]): void {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${name}: CPU profile of the service, measured phase: ${file.pathname}`);
  console.log('self time by package (share of busy samples, idle excluded):');
  for (const [pkg, share] of selfTimeByPackage(profile).slice(0, 12)) console.log(`  ${pct(share)}  ${pkg}`);
  console.log('hottest functions (self time):');
  for (const f of hotFunctions(profile, 25)) console.log(`  ${pct(f.self)}  ${f.name}  ${f.where}`);
}

function selectScenarios({ scenarios: names }: BenchOptions): Scenario[] {
  if (names.length === 0) return [...scenarios];
  return names.map((name) => {
    const found = scenarios.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!found) throw new Error(`unknown scenario ${name}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return found;
  });
}

function logLevelNote({ logLevel }: BenchOptions): string {
  return ['debug', 'trace', 'info'].includes(logLevel)
    ? ' (per-RPC log lines written to stdout)'
    : ' (per-RPC log line is at info: not written)';
}
