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
  const port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
  return {
    url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    stop: () => server.stop(),
  };
}
