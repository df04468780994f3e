import { Client, credentials, Metadata, type MethodDefinition } from '@grpc/grpc-js';
import type { Scenario } from './scenario.js';

/** Calls the scenario's method once and returns the encoded response; fails like the call does. */
export async function sampleResponse(port: number, authorization: string, scenario: Scenario, request: unknown): Promise<Buffer> {
  return callOnce(port, authorization, scenario.method, request, (bytes: Buffer) => bytes);
}

/** One unary call to the server on `port` with `authorization` metadata; the decoded response. */
export async function callOnce<Req, Res>(
  port: number,
  authorization: string,
  method: Pick<MethodDefinition<Req, unknown>, 'path' | 'requestSerialize'>,
  request: Req,
  deserialize: (bytes: Buffer) => Res,
): Promise<Res> {
  const metadata = new Metadata();
  metadata.set('authorization', authorization);
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    return await new Promise<Res>((resolve, reject) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        deserialize,
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
