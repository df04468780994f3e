import { readFileSync } from 'node:fs';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { DESCRIPTOR_SET } from './request-checks.js';

/**
 * Server reflection (v1 and v1alpha) over every file of our contracts and
 * their imports, so grpcurl lists, describes and calls with JSON bodies
 * without any .proto file on the caller's side.
 *
 * The files are handed over exactly as buf built them. Going through
 * proto-loader instead re-derives them with protobufjs, which drops
 * well-known imports (google/protobuf/timestamp.proto) and comments.
 */
export function addReflection(server: Server): void {
  const files = splitDescriptorSet(readFileSync(DESCRIPTOR_SET));
  // ReflectionService reads only `fileDescriptorProtos` of each definition entry.
  const definition = { files: { fileDescriptorProtos: files } };
  new ReflectionService(definition as never).addToServer(server);
}

/** The encoded FileDescriptorProtos of a FileDescriptorSet (field 1, repeated). */
function splitDescriptorSet(bytes: Uint8Array): Buffer[] {
  const reader = new BinaryReader(bytes);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) {
      files.push(Buffer.from(reader.bytes()));
    } else {
      reader.skip(wireType);
    }
  }
  return files;
}
