/** What a server process spent during a measured phase. */
export interface ProbeReading {
  /** User plus system CPU time, µs. */
  readonly cpuMicros: number;
  /** Largest resident set size sampled, bytes. */
  readonly maxRssBytes: number;
  readonly elapsedMs: number;
}

/** Reads the CPU time and peak RSS of a server between start and stop. */
export interface ServerProbe {
  start(): Promise<void>;
  stop(): Promise<ProbeReading>;
}

/** A probe of the current process: CPU from process.cpuUsage(), RSS sampled every `intervalMs`. */
export function processProbe(intervalMs = 100): ServerProbe {
  let started: { cpu: NodeJS.CpuUsage; at: number; timer: NodeJS.Timeout } | undefined;
  let maxRss = 0;
  const sample = () => {
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  };
  return {
    start: async () => {
      maxRss = 0;
      sample();
      started = { cpu: process.cpuUsage(), at: performance.now(), timer: setInterval(sample, intervalMs) };
    },
    stop: async () => {
      if (!started) throw new Error('probe stopped before it started');
      const cpu = process.cpuUsage(started.cpu);
      const elapsedMs = performance.now() - started.at;
      clearInterval(started.timer);
      sample();
      started = undefined;
      return { cpuMicros: cpu.user + cpu.system, maxRssBytes: maxRss, elapsedMs };
    },
  };
}
