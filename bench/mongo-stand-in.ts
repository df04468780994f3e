import { startEmbeddedMongo } from '../src/db/embedded-mongo.js';
import { IpcInbox, ipcSend } from './ipc.js';
import type { MongoStandInReady } from './mongo-stand-in-host.js';

// The MongoDB-wire stand-in in a process of its own (see mongo-stand-in-host.ts).
const inbox = new IpcInbox(process);
const mongo = await startEmbeddedMongo();
await ipcSend(process, { type: 'ready', url: mongo.url } satisfies MongoStandInReady);
await inbox.receive('shutdown');
await mongo.stop();
process.exit(0);
