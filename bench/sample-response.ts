import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { Scenario } from './scenario.js';

/** Calls the scenario's method once and returns the encoded response; fails like the call does. */
export async function sampleResponse(port: number, scenario: Scenario, request: unknown, authorization: string): Promise<Buffer> {
  const metadata = new Metadata();
  metadata.set('authorization', authorization);
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        scenario.method.path,
        scenario.method.requestSerialize,
        (bytes: Buffer) => bytes,
        request,
        metadata,
        { deadline: Date.now() + 10_000 },
        (err, response) => (err || !response ? reject(err ?? new Error('no response')) : resolve(response)),
      );
    });
  } finally {
    client.close();
  }
}
