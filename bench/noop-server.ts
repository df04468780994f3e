/**
 * The baseline: a grpc-js server (same server options as the service, no
 * interceptors) answering a scenario's method with one constant response,
 * in a process of its own (forked by noop-server-host.ts) so its CPU and RSS
 * are its own.
 */
import { ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { loadConfig } from '../src/config.js';
import { bind, createGrpcServer } from '../src/server/grpc-server.js';
import { IpcInbox, ipcSend } from './ipc.js';
import type {
  NoopServerCommand,
  NoopServerInit,
  NoopServerProbeReading,
  NoopServerProbeStarted,
  NoopServerReady,
} from './noop-messages.js';
import { processProbe } from './process-probe.js';
import { scenarios } from './scenarios.js';

const inbox = new IpcInbox(process);
const init = await inbox.receive<NoopServerInit>('init');
const scenario = scenarios.find((s) => s.name === init.scenario);
if (!scenario) throw new Error(`unknown scenario ${init.scenario}`);
const method = scenario.method;
const response = method.responseDeserialize(Buffer.from(init.response, 'base64'));

const server = createGrpcServer({ maxMessageBytes: loadConfig({}).maxMessageBytes, interceptors: [] });
server.addService(
  { call: method },
  { call: (_call: ServerUnaryCall<unknown, unknown>, done: sendUnaryData<unknown>) => done(null, response) },
);
const port = await bind(server, '127.0.0.1', 0, ServerCredentials.createInsecure());
await ipcSend(process, { type: 'ready', port } satisfies NoopServerReady);

const probe = processProbe();
await inbox.receive<NoopServerCommand>('probe-start');
await probe.start();
await ipcSend(process, { type: 'probe-started' } satisfies NoopServerProbeStarted);
await inbox.receive<NoopServerCommand>('probe-stop');
await ipcSend(process, { type: 'probe-reading', reading: await probe.stop() } satisfies NoopServerProbeReading);
await inbox.receive<NoopServerCommand>('shutdown');
server.forceShutdown();
process.disconnect();
