import type { ServiceDefinition } from '@grpc/grpc-js';

const MESSAGE = Symbol('response message');
const ENCODED = Symbol('encoded response');

type Memo = { [MESSAGE]?: object; [ENCODED]?: Buffer | null };

/**
 * The response message of a value that many calls are answered with
 * unchanged (a near-cached item, shared read-only by its readers): built once
 * per value and, in a service wrapped by withSharedResponses, encoded once.
 * A new value (after a write) is a new object, so nothing stale is kept.
 */
export function sharedResponse<D extends object, M extends object>(value: D, toMessage: (value: D) => M): M {
  const memo = value as Memo;
  let message = memo[MESSAGE] as M | undefined;
  if (message === undefined) {
    message = toMessage(value);
    (message as Memo)[ENCODED] = null;
    memo[MESSAGE] = message;
  }
  return message;
}

/** The service with the responses made by sharedResponse serialized once and their bytes reused. */
export function withSharedResponses(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const encode = method.responseSerialize;
      return [
        name,
        {
          ...method,
          responseSerialize: (message: unknown) => {
            const memo = message as Memo;
            const encoded = memo[ENCODED];
            if (encoded === undefined) return encode(message);
            if (encoded !== null) return encoded;
            const bytes = encode(message);
            memo[ENCODED] = bytes;
            return bytes;
          },
        },
      ];
    }),
  ) as ServiceDefinition;
}
