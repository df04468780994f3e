declare module 's3rver' {
  import type { Server } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface KoaContext {
    readonly method: string;
    readonly originalUrl: string;
    readonly headers: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
  }

  type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  /** The embedded S3-compatible server (a Koa application). */
  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware chain, composed when the server starts listening. */
    middleware: Middleware[];
    httpServer: Server | undefined;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
