import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchOptions } from './bench-options.js';
import { forkScript } from './fork-script.js';
import { IpcInbox, ipcSend } from './ipc.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { LoadWorkerInit, LoadWorkerReady, LoadWorkerReport } from './load-messages.js';
import { busyCoresBetween, machineCpu } from './machine-cpu.js';
import type { ProbeReading, ServerProbe } from './process-probe.js';
import type { Fixture, Scenario } from './scenario.js';

/** The figures of one server under one scenario's load, over the measured phase. */
export interface PhaseResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Server CPU time (user + system) per successful request, µs. */
  readonly cpuMicrosPerRequest: number;
  /** Server CPU use over the phase, in cores (1 = one core busy). */
  readonly serverCores: number;
  readonly maxRssMiB: number;
  /** Load generator CPU use over the phase, in cores: near 1 per worker means the client is the bottleneck. */
  readonly clientCores: number;
  /** Whole-machine CPU use over the phase, in cores: server + client + PostgreSQL + anything else running. */
  readonly machineCores: number;
  readonly measuredMs: number;
}

export interface LoadRun {
  readonly port: number;
  readonly scenario: Scenario;
  readonly fixture: Fixture;
  readonly options: BenchOptions;
  readonly probe: ServerProbe;
  /** `authorization` metadata of every call. */
  readonly authorization: string;
  /** Called just outside the probed window: right before it starts and right after it ends. */
  readonly onMeasure?: { start(): Promise<void>; stop(): Promise<void> };
}

/**
 * Closed-loop load on one server: forks the load workers, lets them warm up,
 * then measures for the configured duration while probing the server.
 */
export async function runLoad(run: LoadRun): Promise<PhaseResult> {
  const { options } = run;
  const workers = Array.from({ length: options.workers }, (_, w) => {
    const child = forkScript('./load-worker.ts');
    return { child, inbox: new IpcInbox(child), w };
  });
  try {
    await Promise.all(
      workers.map(({ child, inbox, w }) => {
        const init: LoadWorkerInit = {
          type: 'init',
          port: run.port,
          scenario: run.scenario.name,
          fixture: run.fixture,
          callers: share(options.concurrency, options.workers, w),
          channels: share(options.channels, options.workers, w),
          // Index 0 is the sample call bench.ts makes before any load.
          firstIndex: 1 + w,
          stride: options.workers,
          seed: 0x5eed + w,
          authorization: run.authorization,
        };
        return ipcSend(child, init).then(() => inbox.receive<LoadWorkerReady>('ready'));
      }),
    );
    const broadcast = (type: 'start' | 'measure' | 'stop') => Promise.all(workers.map(({ child }) => ipcSend(child, { type })));

    await broadcast('start');
    await sleep(options.warmupMs);
    await run.onMeasure?.start();
    await run.probe.start();
    const machineBefore = machineCpu();
    await broadcast('measure');
    await sleep(options.durationMs);
    await broadcast('stop');
    const machineAfter = machineCpu();
    const server = await run.probe.stop();
    await run.onMeasure?.stop();
    const reports = await Promise.all(workers.map(({ inbox }) => inbox.receive<LoadWorkerReport>('report')));
    return summarize(reports, server, busyCoresBetween(machineBefore, machineAfter, server.elapsedMs));
  } finally {
    for (const { child } of workers) if (child.exitCode === null) child.kill();
  }
}

/** The w-th of `parts` near-equal shares of `total`. */
function share(total: number, parts: number, w: number): number {
  return Math.floor(total / parts) + (w < total % parts ? 1 : 0);
}

function summarize(reports: readonly LoadWorkerReport[], server: ProbeReading, machineCores: number): PhaseResult {
  const histogram = LatencyHistogram.empty();
  const errorsByCode: Record<string, number> = {};
  let requests = 0;
  let clientCpuMicros = 0;
  for (const r of reports) {
    histogram.merge(LatencyHistogram.fromCounts(r.histogram));
    requests += r.completed;
    clientCpuMicros += r.cpuMicros;
    for (const [code, n] of Object.entries(r.errors)) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  }
  const seconds = server.elapsedMs / 1000;
  return {
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms: histogram.percentile(0.5),
    p90Ms: histogram.percentile(0.9),
    p99Ms: histogram.percentile(0.99),
    errors: Object.values(errorsByCode).reduce((a, b) => a + b, 0),
    errorsByCode,
    cpuMicrosPerRequest: requests > 0 ? server.cpuMicros / requests : Number.NaN,
    serverCores: server.cpuMicros / 1e6 / seconds,
    maxRssMiB: server.maxRssBytes / 2 ** 20,
    clientCores: clientCpuMicros / 1e6 / seconds,
    machineCores,
    measuredMs: server.elapsedMs,
  };
}
