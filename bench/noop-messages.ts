import type { ProbeReading } from './process-probe.js';

/** Parent -> no-op server: serve `scenario`'s method, always answering `response` (base64 protobuf). */
export interface NoopServerInit {
  readonly type: 'init';
  readonly scenario: string;
  readonly response: string;
}

export interface NoopServerReady {
  readonly type: 'ready';
  readonly port: number;
}

/** Parent -> no-op server: probe its own CPU and RSS, or shut down. */
export interface NoopServerCommand {
  readonly type: 'probe-start' | 'probe-stop' | 'shutdown';
}

export interface NoopServerProbeStarted {
  readonly type: 'probe-started';
}

export interface NoopServerProbeReading {
  readonly type: 'probe-reading';
  readonly reading: ProbeReading;
}
