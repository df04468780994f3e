import type { Server, Socket } from 'node:net';
import type { EmbeddedStore } from './embedded-postgres.js';

/**
 * An in-process MongoDB-wire server (CongoDB, from @push.rocks/smartmongo),
 * in memory, for machines with no MongoDB. It lacks unique-index enforcement,
 * TTL expiry, `$text`, `$merge` and transaction rollback: production code
 * targets real MongoDB and never relies on those gaps. It cannot stream
 * heartbeats, so its handshake no longer offers them (withoutStreamedHeartbeats).
 */
export async function startEmbeddedMongo(): Promise<EmbeddedStore> {
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const server = new CongoServer({ port: 0, host: '127.0.0.1', storage: 'memory' });
  withoutStreamedHeartbeats(server as unknown as { commandRouter: CommandRouter });
  await server.start();
  // With port 0 the public getters echo 0; the bound port is on the net.Server.
  const listener = (server as unknown as { server: Server }).server;
  // The stand-in leaves Nagle's algorithm on: each small reply would wait for
  // the client's delayed ACK (tens of ms on loopback).
  listener.on('connection', (socket: Socket) => socket.setNoDelay(true));
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    stop: () => server.stop(),
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
