/**
 * The one error type services throw. It speaks of the domain, never of gRPC:
 * `src/server/status.ts` is the single place that turns it into a status code
 * and `google.rpc` details.
 */
export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE';

export interface FieldViolation {
  /** Path of the field in the request, e.g. `user.email`. */
  readonly field: string;
  readonly description: string;
  /** Stable machine-readable reason, e.g. `FIELD_REQUIRED`. */
  readonly reason: string;
}

export interface PreconditionViolation {
  /** Kind of precondition, e.g. `PUBLICATION`. */
  readonly type: string;
  /** What it applies to, e.g. `catalog_items/<id>`. */
  readonly subject: string;
  readonly description: string;
}

export interface ResourceRef {
  readonly type: string;
  readonly name: string;
}

export interface DomainErrorDetails {
  readonly fieldViolations?: readonly FieldViolation[];
  readonly preconditionViolations?: readonly PreconditionViolation[];
  readonly resource?: ResourceRef;
  /** Extra, non-secret facts for ErrorInfo.metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** How long the caller should wait before retrying (google.rpc.RetryInfo). */
  readonly retryDelayMs?: number;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly kind: ErrorKind,
    /** Stable UPPER_SNAKE reason code that callers may switch on. */
    readonly reason: string,
    message: string,
    readonly details: DomainErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function invalidArgument(violations: readonly FieldViolation[]): DomainError {
  const fields = violations.map((v) => v.field).join(', ');
  return new DomainError('INVALID_ARGUMENT', 'INVALID_FIELDS', `invalid fields: ${fields}`, {
    fieldViolations: violations,
  });
}

export function notFound(type: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${upperSnake(type)}_NOT_FOUND`, `${type} ${id} not found`, {
    resource: { type, name: id },
  });
}

export function alreadyExists(type: string, reason: string, message: string, name = ''): DomainError {
  return new DomainError('ALREADY_EXISTS', reason, message, { resource: { type, name } });
}

export function failedPrecondition(reason: string, violation: PreconditionViolation): DomainError {
  return new DomainError('FAILED_PRECONDITION', reason, violation.description, {
    preconditionViolations: [violation],
  });
}

/** RESOURCE_EXHAUSTED that tells the caller when to try again. */
export function resourceExhausted(reason: string, message: string, retryDelayMs: number): DomainError {
  const ms = Math.max(0, Math.ceil(retryDelayMs));
  return new DomainError('RESOURCE_EXHAUSTED', reason, message, { retryDelayMs: ms, metadata: { retryAfterMs: String(ms) } });
}

export function aborted(reason: string, message: string): DomainError {
  return new DomainError('ABORTED', reason, message);
}

function upperSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}
