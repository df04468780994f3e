import { readFileSync } from 'node:fs';
import {
  create,
  createFileRegistry,
  type DescMessage,
  type DescService,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { DESCRIPTOR_SET } from '../../src/server/request-checks.js';
import { type DecodedError, decodeError } from './grpc.js';

/** Our services (campus.*) as the descriptor set describes them, as a reflection client sees them. */
export function campusServices(): DescService[] {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET)));
  return [...registry.files].flatMap((file) => file.services).filter((service) => service.typeName.startsWith('campus.'));
}

/** The input message of one method, e.g. `campus.analytics.v1.AnalyticsService/RecordEvents`. */
export function inputOf(method: string): DescMessage {
  const [service, name] = method.split('/');
  const found = campusServices()
    .find((s) => s.typeName === service)
    ?.methods.find((m) => m.name === name);
  if (!found) throw new Error(`no method ${method}`);
  return found.input;
}

/** A message of `desc` encoded; `patch` may rewrite the bytes (to send what an encoder would not produce). */
export function encode(desc: DescMessage, init: MessageInitShape<DescMessage>, patch: (bytes: Buffer) => Buffer = (b) => b): Buffer {
  return patch(Buffer.from(toBinary(desc, create(desc, init))));
}

/**
 * Replaces each occurrence of `marker` (ASCII) with bytes of the same length
 * that are not valid UTF-8: an unpaired surrogate (U+D800 as CESU-8) where
 * an encoder would have written the marker's first three bytes.
 */
export function withUnpairedSurrogate(marker: string): (bytes: Buffer) => Buffer {
  const needle = Buffer.from(marker, 'ascii');
  if (needle.length < 3) throw new Error('the marker needs at least three bytes');
  return (bytes) => {
    const out = Buffer.from(bytes);
    for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + needle.length)) {
      out[at] = 0xed;
      out[at + 1] = 0xa0;
      out[at + 2] = 0x80;
    }
    return out;
  };
}

/** A client that sends and receives bytes, for any method by its path. */
export class RawClient {
  private readonly client: Client;

  constructor(port: number) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  /** The call's status: OK with the response bytes, or the decoded error. */
  call(method: string, bytes: Buffer, metadata = new Metadata()): Promise<{ code: status; error?: DecodedError; response?: Buffer }> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        `/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        metadata,
        { deadline: Date.now() + 10_000 },
        (err, response) => {
          if (err) resolve({ code: err.code, error: decodeError(err) });
          else resolve({ code: status.OK, response });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
