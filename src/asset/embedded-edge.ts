import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../logger.js';
import { PUBLIC_CACHE_CONTROL, visibilityOfKey } from './object-key.js';
import type { ObjectStorage } from './object-storage.js';

export interface EmbeddedEdge {
  /** The CDN base delivery URLs are issued on, ending in `/`. */
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/**
 * A minimal CDN edge for the embedded default, behaving like the nginx edge
 * of docs/assets.md: GET and HEAD of `/<object key>`; keys under `public/`
 * are served as they are (immutable, cached for a year); keys under
 * `private/` only with a valid, unexpired secure_link signature, else 403.
 * Bytes come from storage through the S3 API; a missing object is 404.
 */
export async function startEmbeddedEdge(opts: {
  readonly host: string;
  readonly port: number;
  readonly storage: ObjectStorage;
  readonly verify: (url: URL) => boolean;
  readonly log: Logger;
}): Promise<EmbeddedEdge> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://edge.invalid');
    // Keys are plain ASCII: a path with escapes is no key (and a malformed escape must not throw here).
    const key = url.pathname.slice(1);
    const visibility = visibilityOfKey(key);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || visibility === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (visibility === 'private' && !opts.verify(url)) {
      res.writeHead(403).end();
      return;
    }
    opts.storage.read(key).then(
      async (object) => {
        if (!object) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, {
          'content-type': object.contentType,
          'content-length': String(object.sizeBytes),
          'cache-control': visibility === 'public' ? PUBLIC_CACHE_CONTROL : 'private, max-age=60',
        });
        if (req.method === 'HEAD') {
          object.body.destroy();
          res.end();
          return;
        }
        await pipeline(object.body, res);
      },
      (err: unknown) => {
        opts.log.warn({ err, key }, 'embedded edge could not read from storage');
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
