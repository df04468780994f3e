import { forkScript } from './fork-script.js';
import { IpcInbox, ipcSend } from './ipc.js';
import type { NoopServerCommand, NoopServerInit, NoopServerProbeReading, NoopServerReady } from './noop-messages.js';
import type { ServerProbe } from './process-probe.js';
import type { Scenario } from './scenario.js';

export interface NoopServer {
  readonly port: number;
  /** Probes the no-op server's own process. */
  readonly probe: ServerProbe;
  stop(): Promise<void>;
}

/** Starts the no-op baseline for `scenario` in a child process, answering `response` (encoded) to every call. */
export async function startNoopServer(scenario: Scenario, response: Buffer): Promise<NoopServer> {
  const child = forkScript('./noop-server.ts');
  const inbox = new IpcInbox(child);
  await ipcSend(child, { type: 'init', scenario: scenario.name, response: response.toString('base64') } satisfies NoopServerInit);
  const { port } = await inbox.receive<NoopServerReady>('ready');
  return {
    port,
    probe: {
      start: async () => {
        await ipcSend(child, { type: 'probe-start' } satisfies NoopServerCommand);
        await inbox.receive('probe-started');
      },
      stop: async () => {
        await ipcSend(child, { type: 'probe-stop' } satisfies NoopServerCommand);
        return (await inbox.receive<NoopServerProbeReading>('probe-reading')).reading;
      },
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ipcSend(child, { type: 'shutdown' } satisfies NoopServerCommand);
      await exited;
    },
  };
}
