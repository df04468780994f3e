import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  InterceptingCall,
  type Interceptor,
  Metadata,
  type ServiceError,
  type status,
} from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, PreconditionFailure, ResourceInfo } from '../../generated/google/rpc/error_details.js';
import { Status } from '../../generated/google/rpc/status.js';

// Matches the last overload of a generated method, the one TypeScript infers from.
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, res: Res) => void,
) => ClientUnaryCall;

/** Calls a generated unary client method and resolves with its response. */
export function call<Req, Res>(method: UnaryMethod<Req, Res>, client: Client, request: Req, metadata = new Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, metadata, {}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Like `call`, also resolving with the metadata the server sent before its response. */
export function callWithMetadata<Req, Res>(
  method: UnaryMethod<Req, Res>,
  client: Client,
  request: Req,
  metadata = new Metadata(),
): Promise<{ response: Res; metadata: Metadata }> {
  return new Promise((resolve, reject) => {
    let sent = new Metadata();
    const unary = method.call(client, request, metadata, {}, (err, response) =>
      err ? reject(err) : resolve({ response, metadata: sent }),
    );
    unary.on('metadata', (m) => {
      sent = m;
    });
  });
}

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/**
 * Who a test client acts as when a call names nobody: the test server signs
 * its bootstrap admin in and registers the token here, so a test that is not
 * about authorization is not about it either. Tests of who may do what pass
 * their own `bearer(...)` or `anonymous()` metadata.
 */
const defaultAuthorization = new Map<number, string>();

export function actAsByDefault(port: number, token: string | undefined): void {
  if (token === undefined) defaultAuthorization.delete(port);
  else defaultAuthorization.set(port, `Bearer ${token}`);
}

const ANONYMOUS_MARK = 'x-test-anonymous';

/** Metadata for a call made with no credentials at all. */
export function anonymous(): Metadata {
  const metadata = new Metadata();
  metadata.set(ANONYMOUS_MARK, '1');
  return metadata;
}

function defaultCredentials(port: number): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get(ANONYMOUS_MARK).length > 0) metadata.remove(ANONYMOUS_MARK);
        else if (metadata.get('authorization').length === 0) {
          const authorization = defaultAuthorization.get(port);
          if (authorization) metadata.set('authorization', authorization);
        }
        next(metadata, listener);
      },
    });
}

export type ClientCtor<C> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => C;

/** Makes a client of a generated constructor against a local port, acting as the test server's admin unless a call says otherwise. */
export function connect<C>(Ctor: ClientCtor<C>, port: number): C {
  return new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), { interceptors: [defaultCredentials(port)] });
}

/** A client that sends only the credentials each call carries (none unless given). */
export function connectAnonymous<C>(Ctor: ClientCtor<C>, port: number): C {
  return new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
}

export interface DecodedError {
  readonly code: status;
  readonly message: string;
  readonly reason: string | undefined;
  readonly fieldViolations: { field: string; reason: string }[];
  readonly preconditions: { type: string; subject: string }[];
  readonly resource: { type: string; name: string } | undefined;
}

/** Decodes grpc-status-details-bin as a caller would. */
export function decodeError(err: unknown): DecodedError {
  const e = err as ServiceError;
  if (typeof e?.code !== 'number') throw new Error(`not a gRPC error: ${String(err)}`);
  const bin = e.metadata?.get('grpc-status-details-bin')[0];
  const st = bin ? Status.decode(bin as Buffer) : undefined;
  const find = (name: string) => st?.details.find((d) => d.typeUrl === `type.googleapis.com/google.rpc.${name}`)?.value;
  const info = find('ErrorInfo');
  const badRequest = find('BadRequest');
  const precondition = find('PreconditionFailure');
  const resource = find('ResourceInfo');
  return {
    code: e.code,
    message: e.details,
    reason: info ? ErrorInfo.decode(info).reason : undefined,
    fieldViolations: badRequest ? BadRequest.decode(badRequest).fieldViolations.map((v) => ({ field: v.field, reason: v.reason })) : [],
    preconditions: precondition
      ? PreconditionFailure.decode(precondition).violations.map((v) => ({ type: v.type, subject: v.subject }))
      : [],
    resource: resource
      ? (({ resourceType, resourceName }) => ({ type: resourceType, name: resourceName }))(ResourceInfo.decode(resource))
      : undefined,
  };
}

/** Resolves with the decoded error of a call that must fail. */
export async function failure(promise: Promise<unknown>): Promise<DecodedError> {
  try {
    await promise;
  } catch (err) {
    return decodeError(err);
  }
  throw new Error('expected the call to fail, but it succeeded');
}
