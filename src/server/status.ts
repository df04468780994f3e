import { Metadata, type StatusObject, status } from '@grpc/grpc-js';
import {
  ConnectionException,
  DeadlockException,
  LockWaitTimeoutException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { Any } from '../../generated/google/protobuf/any.js';
import { BadRequest, ErrorInfo, PreconditionFailure, ResourceInfo, RetryInfo } from '../../generated/google/rpc/error_details.js';
import { Status } from '../../generated/google/rpc/status.js';
import { DomainError, type ErrorKind } from '../errors/domain-error.js';

/** ErrorInfo.domain: who speaks when a caller reads an error's reason. */
export const ERROR_DOMAIN = 'campus-data';

const CODES: Record<ErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ABORTED: status.ABORTED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
};

export interface MappedError {
  readonly status: Partial<StatusObject> & { code: status; details: string };
  /** True when the error is ours to fix (log it at error level with its cause). */
  readonly unexpected: boolean;
}

/**
 * The single place where anything thrown below a handler becomes a gRPC status.
 * Domain errors keep their code, reason and details; store failures become
 * UNAVAILABLE, ABORTED or ALREADY_EXISTS; everything else is INTERNAL with a
 * plain message. Messages of foreign errors (SQL, stacks) never reach callers.
 */
export function toGrpcStatus(err: unknown, deadlinePassed = false): MappedError {
  const domain = asDomainError(err, deadlinePassed);
  if (domain === 'DEADLINE_EXCEEDED') {
    return expected(status.DEADLINE_EXCEEDED, 'deadline exceeded', 'DEADLINE_EXCEEDED');
  }
  if (domain) {
    return { status: withDetails(CODES[domain.kind], domain.message, domain), unexpected: false };
  }
  return {
    status: withDetails(status.INTERNAL, 'internal error', new DomainError('UNAVAILABLE', 'INTERNAL', '')),
    unexpected: true,
  };
}

function expected(code: status, message: string, reason: string): MappedError {
  return { status: withDetails(code, message, new DomainError('UNAVAILABLE', reason, message)), unexpected: false };
}

function asDomainError(err: unknown, deadlinePassed: boolean): DomainError | 'DEADLINE_EXCEEDED' | undefined {
  const domain = domainCause(err);
  if (domain) return domain;
  if (deadlinePassed) return 'DEADLINE_EXCEEDED';
  if (err instanceof OptimisticLockError) {
    return new DomainError(
      'ABORTED',
      'CONCURRENT_MODIFICATION',
      'the resource was changed concurrently; read it again',
      {},
      { cause: err },
    );
  }
  if (err instanceof DeadlockException || err instanceof LockWaitTimeoutException) {
    return new DomainError('ABORTED', 'TRANSACTION_CONFLICT', 'the transaction lost a race; retry it', {}, { cause: err });
  }
  if (err instanceof UniqueConstraintViolationException) {
    return new DomainError('ALREADY_EXISTS', 'ALREADY_EXISTS', 'the resource already exists', {}, { cause: err });
  }
  if (err instanceof ConnectionException || isStoreUnavailable(err)) {
    return new DomainError(
      'UNAVAILABLE',
      'STORE_UNAVAILABLE',
      'a data store is unavailable; retry later',
      { retryDelayMs: STORE_RETRY_DELAY_MS },
      { cause: err },
    );
  }
  return undefined;
}

/** The error itself or, under the ORM's wrapping, a cause of it that is a domain error (a refusal before a store was used). */
function domainCause(err: unknown): DomainError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DomainError) return e;
  }
  return undefined;
}

/** How long a caller is told to wait before retrying a call a store could not serve. */
const STORE_RETRY_DELAY_MS = 200;

/** Codes of a store that is away, dropped the connection, has none free or did not answer in time. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // PostgreSQL: admin/crash shutdown, cannot connect now, too many connections, statement timeout.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
  // Our pool guard (src/db/guarded-pool.ts): a silent server, no connection free in time.
  'STATEMENT_ABANDONED',
  'POOL_WAIT_ABANDONED',
]);

/**
 * pg's messages for a pool wait that timed out and a connection that died
 * under a query; ioredis's for a connection that is gone, a command that got
 * no answer within REDIS_COMMAND_TIMEOUT_MS, and a cluster it cannot reach.
 */
const UNAVAILABLE_MESSAGES =
  /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Connection is closed\.|Command timed out|Stream isn't writeable|Failed to refresh slots cache|Too many Cluster redirections)/;

/** Error classes of the store drivers that mean "cannot serve now" (mongodb's pool, topology and network; ioredis's retries). */
const UNAVAILABLE_NAMES =
  /^(Mongo(Network|PoolCleared|ServerSelection|NotConnected|Topology)|MaxRetriesPerRequestError|ClusterAllFailedError)/;

/** Driver-level signs that a store cannot serve now (pg, mongodb, ioredis), on the error or its causes (the ORM wraps). */
function isStoreUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true;
    // MongoPoolCleared*: the driver dropped its connections under the operation (its monitor lost the server).
    if (UNAVAILABLE_NAMES.test(e.name)) return true;
  }
  return false;
}

function withDetails(code: status, message: string, err: DomainError): MappedError['status'] {
  const details: Any[] = [
    pack(
      'google.rpc.ErrorInfo',
      ErrorInfo.encode({ reason: err.reason, domain: ERROR_DOMAIN, metadata: { ...err.details.metadata } }).finish(),
    ),
  ];
  const { fieldViolations, preconditionViolations, resource, retryDelayMs } = err.details;
  if (fieldViolations?.length) {
    const badRequest = BadRequest.encode({
      fieldViolations: fieldViolations.map((v) => ({
        field: v.field,
        description: v.description,
        reason: v.reason,
        localizedMessage: undefined,
      })),
    }).finish();
    details.push(pack('google.rpc.BadRequest', badRequest));
  }
  if (preconditionViolations?.length) {
    details.push(pack('google.rpc.PreconditionFailure', PreconditionFailure.encode({ violations: [...preconditionViolations] }).finish()));
  }
  if (resource) {
    const info = ResourceInfo.encode({
      resourceType: resource.type,
      resourceName: resource.name,
      owner: '',
      description: message,
    }).finish();
    details.push(pack('google.rpc.ResourceInfo', info));
  }
  if (retryDelayMs !== undefined) {
    const retryDelay = { seconds: BigInt(Math.floor(retryDelayMs / 1000)), nanos: (retryDelayMs % 1000) * 1_000_000 };
    details.push(pack('google.rpc.RetryInfo', RetryInfo.encode({ retryDelay }).finish()));
  }
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message, details }).finish()));
  // For callers that read trailers rather than google.rpc details.
  if (retryDelayMs !== undefined) metadata.set('retry-after-ms', String(retryDelayMs));
  return { code, details: message, metadata };
}

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) };
}
