import type { Server, Socket } from 'node:net';
import type { EmbeddedStore } from './embedded-postgres.js';

/**
 * An in-process MongoDB-wire server (CongoDB, from @push.rocks/smartmongo),
 * in memory, for machines with no MongoDB. It lacks unique-index enforcement,
 * TTL expiry, `$text`, `$merge` and transaction rollback: production code
 * targets real MongoDB and never relies on those gaps.
 */
export async function startEmbeddedMongo(): Promise<EmbeddedStore> {
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const server = new CongoServer({ port: 0, host: '127.0.0.1', storage: 'memory' });
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
