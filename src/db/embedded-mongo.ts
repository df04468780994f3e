import { mkdir } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import path from 'node:path';
import type { IStorageAdapter, plugins } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import type { Logger } from '../logger.js';
import { lockDataDir } from './data-dir-lock.js';
import type { EmbeddedStore } from './embedded-postgres.js';
import { restoreSnapshot, writeSnapshot } from './mongo-snapshot.js';

/** Where the embedded MongoDB keeps its data across restarts; without it, memory only. */
export interface EmbeddedMongoPersistence {
  /** The snapshot is `<dataDir>/mongodb/snapshot.json`; the directory is claimed like the embedded PostgreSQL's. */
  readonly dataDir: string;
  /** How often the snapshot is rewritten while running; 0: only at stop. */
  readonly snapshotIntervalMs: number;
  readonly log: Logger;
}

/**
 * An in-process MongoDB-wire server (CongoDB, from @push.rocks/smartmongo),
 * in memory, for machines with no MongoDB. It lacks unique-index enforcement,
 * TTL expiry, `$text`, `$merge` and transaction rollback: production code
 * targets real MongoDB and never relies on those gaps. It cannot stream
 * heartbeats, so its handshake no longer offers them (withoutStreamedHeartbeats).
 *
 * With `persistence`, what it holds is restored from the snapshot at start and
 * written back every `snapshotIntervalMs` and at stop; a crash loses the
 * writes since the last snapshot.
 */
export async function startEmbeddedMongo(persistence?: EmbeddedMongoPersistence): Promise<EmbeddedStore> {
  const { CongoServer, plugins } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const lock = persistence ? await lockDataDir(persistence.dataDir) : undefined;
  const server = new CongoServer({ port: 0, host: '127.0.0.1', storage: 'memory' });
  withoutStreamedHeartbeats(server as unknown as { commandRouter: CommandRouter });
  try {
    await server.start();
    const snapshots = persistence ? await restore(server.getStorage(), plugins.bson, persistence) : undefined;
    // With port 0 the public getters echo 0; the bound port is on the net.Server.
    const listener = (server as unknown as { server: Server }).server;
    // The stand-in leaves Nagle's algorithm on: each small reply would wait for
    // the client's delayed ACK (tens of ms on loopback).
    listener.on('connection', (socket: Socket) => socket.setNoDelay(true));
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return {
      url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      stop: async () => {
        try {
          await snapshots?.stop();
        } finally {
          await server.stop();
          await lock?.release();
        }
      },
    };
  } catch (err) {
    await server.stop().catch(() => undefined);
    await lock?.release();
    throw err;
  }
}

/** Restores the snapshot, then keeps writing it; `stop` writes the last one. */
async function restore(
  storage: IStorageAdapter,
  bson: typeof plugins.bson,
  { dataDir, snapshotIntervalMs, log }: EmbeddedMongoPersistence,
) {
  const dir = path.resolve(dataDir, 'mongodb');
  const file = path.join(dir, 'snapshot.json');
  await mkdir(dir, { recursive: true });
  const restored = await restoreSnapshot(storage, bson, file);
  log.info({ store: 'mongodb', file, documents: restored }, 'embedded MongoDB restored from its snapshot');
  let writing: Promise<unknown> = Promise.resolve();
  // One snapshot at a time: a slow write is not overtaken by the next one.
  const snapshot = () => {
    writing = writing
      .catch(() => undefined)
      .then(async () => {
        const started = performance.now();
        const documents = await writeSnapshot(storage, bson, file);
        log.debug({ store: 'mongodb', file, documents, ms: Math.round(performance.now() - started) }, 'embedded MongoDB snapshot written');
      });
    return writing;
  };
  const timer =
    snapshotIntervalMs > 0
      ? setInterval(() => {
          snapshot().catch((err: unknown) =>
            log.warn({ err, store: 'mongodb', file }, 'embedded MongoDB snapshot failed; the previous one is kept'),
          );
        }, snapshotIntervalMs)
      : undefined;
  timer?.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await snapshot();
    },
  };
}

interface CommandRouter {
  route(command: { readonly commandName: string }): Promise<Record<string, unknown>>;
}

/** The names under which the stand-in answers a handshake (OP_QUERY isMaster arrives as `hello`). */
const HANDSHAKES: ReadonlySet<string> = new Set(['hello', 'isMaster', 'ismaster']);

/**
 * The stand-in's handshake carries a `topologyVersion`, which tells a driver
 * that the server streams heartbeats (an awaitable hello answered with the
 * OP_MSG moreToCome flag). It does not: it answers at once, without the flag.
 * The driver's monitor then fails every streamed heartbeat ("Server ended
 * moreToCome unexpectedly"), marks the server unknown and clears its
 * connection pool, failing operations that wait for a connection. Without a
 * `topologyVersion` drivers poll, which it serves.
 */
function withoutStreamedHeartbeats(server: { commandRouter: CommandRouter }): void {
  const router = server.commandRouter;
  const route = router.route.bind(router);
  router.route = async (command) => {
    const reply = await route(command);
    if (HANDSHAKES.has(command.commandName)) delete reply.topologyVersion;
    return reply;
  };
}
