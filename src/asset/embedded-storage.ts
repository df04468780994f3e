import path from 'node:path';
import S3rver from 's3rver';
import type { S3Settings } from './object-storage.js';
import { sigV4Matches } from './sigv4-check.js';

/** The embedded server's one account (s3rver's built-in key pair). */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const EMBEDDED_BUCKET = 'campus-assets';

export interface EmbeddedStorage {
  /** How the service (and anyone else on this machine) reaches it through the S3 API. */
  readonly settings: S3Settings;
  stop(): Promise<void>;
}

/**
 * An in-process S3-compatible server (s3rver) keeping objects under
 * `<dataDir>/assets`, on loopback. s3rver checks presigned URLs' expiry and
 * access key but not their SigV4 signature, so a check in front of it
 * recomputes the signature of every signed request and refuses a mismatch
 * (403 SignatureDoesNotMatch), as S3 does. Unsigned reads are served (the
 * self-hosted edge fetches objects unsigned from its origin).
 */
export async function startEmbeddedStorage(dataDir: string, host: string, port: number): Promise<EmbeddedStorage> {
  const server = new S3rver({
    address: host,
    port,
    silent: true,
    directory: path.resolve(dataDir, 'assets'),
    configureBuckets: [{ name: EMBEDDED_BUCKET }],
    vhostBuckets: false,
  });
  server.middleware.unshift(async (ctx, next) => {
    const secretOf = (id: string) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined);
    if (sigV4Matches({ method: ctx.method, url: ctx.originalUrl, headers: ctx.headers }, secretOf)) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
      '<Message>The request signature we calculated does not match the signature you provided.</Message></Error>';
  });
  const address = await server.run();
  return {
    settings: {
      endpoint: `http://${host}:${address.port}`,
      region: 'us-east-1',
      bucket: EMBEDDED_BUCKET,
      credentials: CREDENTIALS,
      forcePathStyle: true,
    },
    stop: async () => {
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}
