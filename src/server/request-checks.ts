import { readFileSync } from 'node:fs';
import { createFileRegistry, type DescMessage, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { FieldViolation } from '../errors/domain-error.js';
import { scanRequest } from '../validation/wire-scan.js';

/** The descriptor set `npm run generate` builds with buf, imports included. */
export const DESCRIPTOR_SET = new URL('../../generated/descriptor.binpb', import.meta.url);

/**
 * Stands in for a request whose bytes hold what no service can store (see
 * scanRequest); the unary adapter answers INVALID_ARGUMENT with its
 * violations before any handler, rule or store sees it.
 */
export class RejectedRequest {
  constructor(readonly violations: readonly FieldViolation[]) {}
}

/** The input message of each method, by gRPC path, from the descriptor set. */
export function requestDescriptors(): ReadonlyMap<string, DescMessage> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET)));
  const inputs = new Map<string, DescMessage>();
  for (const file of registry.files) {
    for (const service of file.services) {
      for (const method of service.methods) inputs.set(`/${service.typeName}/${method.name}`, method.input);
    }
  }
  return inputs;
}

/**
 * The service with every request checked on its wire bytes as it is
 * deserialized: a request with violations is handed on as a RejectedRequest.
 * Every method of the service must be in `inputs`.
 */
export function withRequestChecks(definition: ServiceDefinition, inputs: ReadonlyMap<string, DescMessage>): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const input = inputs.get(method.path);
      if (!input) throw new Error(`${method.path} is not in the descriptor set: run npm run generate`);
      const decode = method.requestDeserialize;
      return [
        name,
        {
          ...method,
          requestDeserialize: (bytes: Buffer) => {
            const violations = scanRequest(input, bytes);
            return violations.length > 0 ? new RejectedRequest(violations) : decode(bytes);
          },
        },
      ];
    }),
  ) as ServiceDefinition;
}
