import type { Fixture } from './scenario.js';

/** Parent -> load worker: what to call, how hard. */
export interface LoadWorkerInit {
  readonly type: 'init';
  readonly port: number;
  readonly scenario: string;
  readonly fixture: Fixture;
  readonly callers: number;
  readonly channels: number;
  /** Call i of this worker's n-th call is firstIndex + n * stride: unique across workers. */
  readonly firstIndex: number;
  readonly stride: number;
  readonly seed: number;
  /** `authorization` metadata of every call (the no-op server ignores it, but parses it all the same). */
  readonly authorization: string;
}

/** Parent -> load worker: `start` the load (warm-up), `measure` from now, `stop` and report. */
export interface LoadWorkerCommand {
  readonly type: 'start' | 'measure' | 'stop';
}

export interface LoadWorkerReady {
  readonly type: 'ready';
}

/** Load worker -> parent: what happened between `measure` and `stop`. */
export interface LoadWorkerReport {
  readonly type: 'report';
  readonly completed: number;
  /** Failed calls by gRPC status code name. */
  readonly errors: Readonly<Record<string, number>>;
  readonly histogram: readonly number[];
  /** CPU time of the load worker itself, µs, so a client bottleneck shows. */
  readonly cpuMicros: number;
  readonly elapsedMs: number;
}
