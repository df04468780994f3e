import { type CallOptions, type Client, type ClientUnaryCall, credentials, Metadata, type ServiceError, type status } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo, PreconditionFailure, ResourceInfo } from '../../generated/google/rpc/error_details.js';
import { Status } from '../../generated/google/rpc/status.js';

// Matches the last overload of a generated method, the one TypeScript infers from.
type UnaryMethod<Req, Res> = (
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

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Makes a client of a generated constructor against a local port. */
export function connect<C>(Ctor: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => C, port: number): C {
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
