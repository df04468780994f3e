import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export type ReflectionReply = {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
};

// A client that knows nothing but the reflection protocol, as grpcurl does.
const definition = loadSync('grpc/reflection/v1/reflection.proto', {
  includeDirs: ['node_modules/@grpc/reflection/build/proto'],
});

/** Sends one reflection request on a stream of its own; resolves with the first reply, rejects with the stream's error. */
export function askReflection(port: number, request: object): Promise<ReflectionReply> {
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            a: string,
            c: ReturnType<typeof credentials.createInsecure>,
          ) => { serverReflectionInfo(): NodeJS.ReadWriteStream & { write(r: object): void; end(): void }; close(): void };
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise<ReflectionReply>((resolve, reject) => {
    const stream = client.serverReflectionInfo();
    stream.on('data', (reply: ReflectionReply) => {
      resolve(reply);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(request);
  }).finally(() => client.close());
}
