import type { PhaseResult } from './run-load.js';

/** One scenario's figures: the service, the no-op baseline, and how they compare. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly service: PhaseResult;
  readonly noop: PhaseResult;
  readonly ratios: {
    /** Service CPU per request over the no-op's: how much more each call costs. */
    readonly cpuPerRequest: number;
    /** Service requests/s over the no-op's. */
    readonly throughput: number;
    readonly rss: number;
  };
}

export function compare(scenario: string, service: PhaseResult, noop: PhaseResult): ScenarioResult {
  return {
    scenario,
    service,
    noop,
    ratios: {
      cpuPerRequest: service.cpuMicrosPerRequest / noop.cpuMicrosPerRequest,
      throughput: service.requestsPerSecond / noop.requestsPerSecond,
      rss: service.maxRssMiB / noop.maxRssMiB,
    },
  };
}

const HEADER = [
  'scenario',
  'server',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'errors',
  'CPU µs/req',
  'server cores',
  'RSS MiB',
  'client cores',
  'machine cores',
];

/** The results as a plain-text table, one block of three rows per scenario. */
export function formatResultsTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [HEADER];
  for (const r of results) {
    rows.push(phaseRow(r.scenario, 'service', r.service));
    rows.push(phaseRow('', 'no-op', r.noop));
    rows.push([
      '',
      'service/no-op',
      ratio(r.ratios.throughput),
      '',
      '',
      '',
      '',
      ratio(r.ratios.cpuPerRequest),
      '',
      ratio(r.ratios.rss),
      '',
      '',
    ]);
  }
  const widths = HEADER.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '))
    .join('\n');
}

function phaseRow(scenario: string, server: string, p: PhaseResult): string[] {
  return [
    scenario,
    server,
    fixed(p.requestsPerSecond, 0),
    fixed(p.p50Ms, 2),
    fixed(p.p90Ms, 2),
    fixed(p.p99Ms, 2),
    String(p.errors),
    fixed(p.cpuMicrosPerRequest, 0),
    fixed(p.serverCores, 2),
    fixed(p.maxRssMiB, 0),
    fixed(p.clientCores, 2),
    fixed(p.machineCores, 2),
  ];
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';
}

function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}x` : '-';
}
