import os from 'node:os';

/** Busy and total CPU time of the whole machine so far, ms, summed over its cores. */
export interface MachineCpu {
  readonly busyMs: number;
  readonly totalMs: number;
}

export function machineCpu(): MachineCpu {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of os.cpus()) {
    const total = times.user + times.nice + times.sys + times.idle + times.irq;
    totalMs += total;
    busyMs += total - times.idle;
  }
  return { busyMs, totalMs };
}

/** Cores kept busy between two readings, by anything on the machine (1 = one core). */
export function busyCoresBetween(before: MachineCpu, after: MachineCpu, elapsedMs: number): number {
  return (after.busyMs - before.busyMs) / elapsedMs;
}
