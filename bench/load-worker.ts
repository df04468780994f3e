/**
 * A load generator process (forked by run-load.ts): `callers` closed-loop
 * callers over `channels` HTTP/2 connections, each sending its next call as
 * soon as the previous one returns.
 */
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { IpcInbox, ipcSend } from './ipc.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { LoadWorkerCommand, LoadWorkerInit, LoadWorkerReady, LoadWorkerReport } from './load-messages.js';
import { scenarios } from './scenarios.js';
import { seededRandom } from './seeded-random.js';

const inbox = new IpcInbox(process);
const init = await inbox.receive<LoadWorkerInit>('init');
const scenario = scenarios.find((s) => s.name === init.scenario);
if (!scenario) throw new Error(`unknown scenario ${init.scenario}`);
const makeRequest = scenario.makeRequest(init.fixture, seededRandom(init.seed));
const { path, requestSerialize, responseDeserialize } = scenario.method;
const metadata = new Metadata();
metadata.set('authorization', init.authorization);

// A local subchannel pool gives each client its own connection instead of one shared.
const clients = Array.from(
  { length: init.channels },
  () => new Client(`127.0.0.1:${init.port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
);
await Promise.all(
  clients.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())))),
);
await ipcSend(process, { type: 'ready' } satisfies LoadWorkerReady);

const STATUS_NAMES = Object.fromEntries(Object.entries(status).map(([name, code]) => [code, name]));
let phase: 'warmup' | 'measure' | 'stopped' = 'warmup';
let histogram = LatencyHistogram.empty();
let completed = 0;
let errors: Record<string, number> = {};
let callNumber = 0;
let inFlight = 0;
let drained: (() => void) | undefined;

function callOnce(client: Client): void {
  if (phase === 'stopped') {
    if (inFlight === 0) drained?.();
    return;
  }
  const request = makeRequest(init.firstIndex + callNumber++ * init.stride);
  const startedAt = performance.now();
  inFlight++;
  client.makeUnaryRequest(path, requestSerialize, responseDeserialize, request, metadata.clone(), {}, (err) => {
    inFlight--;
    if (phase === 'measure') {
      if (err) {
        const name = STATUS_NAMES[err.code] ?? String(err.code);
        errors[name] = (errors[name] ?? 0) + 1;
      } else {
        completed++;
        histogram.record(performance.now() - startedAt);
      }
    }
    callOnce(client);
  });
}

await inbox.receive<LoadWorkerCommand>('start');
for (let c = 0; c < init.callers; c++) {
  const client = clients[c % clients.length];
  if (client) callOnce(client);
}

await inbox.receive<LoadWorkerCommand>('measure');
phase = 'measure';
histogram = LatencyHistogram.empty();
completed = 0;
errors = {};
const cpuAtStart = process.cpuUsage();
const measuredAt = performance.now();

await inbox.receive<LoadWorkerCommand>('stop');
phase = 'stopped';
const elapsedMs = performance.now() - measuredAt;
const cpu = process.cpuUsage(cpuAtStart);
const report: LoadWorkerReport = {
  type: 'report',
  completed,
  errors,
  histogram: histogram.toCounts(),
  cpuMicros: cpu.user + cpu.system,
  elapsedMs,
};
await new Promise<void>((resolve) => {
  drained = resolve;
  if (inFlight === 0) resolve();
});
for (const client of clients) client.close();
await ipcSend(process, report);
process.disconnect();
