import { createRequire } from 'node:module';
import { status } from '@grpc/grpc-js';
import { OptimisticLockError } from '@mikro-orm/core';
import { Redis } from 'ioredis';
import { MongoUnexpectedServerResponseError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors/domain-error.js';
import { toGrpcStatus } from '../../src/server/status.js';
import { decodeError } from '../support/grpc.js';

describe('toGrpcStatus', () => {
  it('when an unknown error is thrown, then INTERNAL with a plain message and no cause', () => {
    const mapped = toGrpcStatus(new Error('relation "users" does not exist at character 15'));
    expect(mapped.unexpected).toBe(true);
    expect(mapped.status.code).toBe(status.INTERNAL);
    expect(mapped.status.details).toBe('internal error');
    const decoded = decodeError({ code: mapped.status.code, details: mapped.status.details, metadata: mapped.status.metadata });
    expect(decoded.reason).toBe('INTERNAL');
    expect(JSON.stringify(decoded)).not.toContain('relation');
  });

  it('when the ORM reports a lost optimistic lock, then ABORTED', () => {
    const mapped = toGrpcStatus(OptimisticLockError.lockFailed('x'));
    expect(mapped.status.code).toBe(status.ABORTED);
    expect(mapped.unexpected).toBe(false);
  });

  it('when a store refuses connections, then UNAVAILABLE (retryable)', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toGrpcStatus(err).status.code).toBe(status.UNAVAILABLE);
  });

  it.each([
    ['a pool wait timed out', new Error('timeout exceeded when trying to connect')],
    ['a connection died mid-transaction', new Error('Connection terminated unexpectedly')],
    ['a statement timed out on the server', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    ['the server went silent', Object.assign(new Error('no answer from PostgreSQL within 16000 ms'), { code: 'STATEMENT_ABANDONED' })],
    [
      'the cause, wrapped by the ORM, is a dropped connection',
      new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }),
    ],
  ])('when %s, then UNAVAILABLE with RetryInfo, not INTERNAL', (_, err) => {
    const mapped = toGrpcStatus(err);
    expect(mapped.status.code).toBe(status.UNAVAILABLE);
    expect(mapped.unexpected).toBe(false);
    expect(mapped.status.metadata?.get('retry-after-ms')).toEqual(['200']);
  });

  it('when a statement timed out because the caller deadline passed, then DEADLINE_EXCEEDED', () => {
    const err = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    expect(toGrpcStatus(err, true).status.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('when the MongoDB driver clears its connection pool under an operation, then UNAVAILABLE (retryable)', () => {
    // The driver's own error class (not exported from its entry point), as its monitor raises it.
    const { PoolClearedError } = createRequire(import.meta.url)('mongodb/lib/cmap/errors.js') as {
      PoolClearedError: new (pool: { address: string; serverError?: Error }) => Error;
    };
    const err = new PoolClearedError({
      address: '127.0.0.1:27017',
      serverError: new MongoUnexpectedServerResponseError('Server ended moreToCome unexpectedly'),
    });
    const mapped = toGrpcStatus(err);
    expect(mapped.status.code).toBe(status.UNAVAILABLE);
    expect(mapped.unexpected).toBe(false);
  });

  it('when Redis is away or does not answer a command in time, then UNAVAILABLE with RetryInfo, not INTERNAL', async () => {
    // Nothing listens on port 1: ioredis gives up on the command ("Connection is closed.").
    const away = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null });
    away.on('error', () => undefined);
    // The real Redis, busy for longer than the command timeout ("Command timed out").
    const slow = new Redis({ host: '127.0.0.1', port: 6379, commandTimeout: 5 });
    try {
      const errors = await Promise.all([
        away.get('status-test').catch((err: unknown) => err),
        slow
          .eval("local t = redis.call('time') repeat until (redis.call('time')[2] - t[2]) % 1000000 > 50000 return 1", 0)
          .catch((err: unknown) => err),
      ]);
      for (const err of errors) {
        expect(err).toBeInstanceOf(Error);
        const mapped = toGrpcStatus(err);
        expect(mapped.status.code).toBe(status.UNAVAILABLE);
        expect(mapped.unexpected).toBe(false);
        expect(mapped.status.metadata?.get('retry-after-ms')).toEqual(['200']);
      }
    } finally {
      away.disconnect();
      slow.disconnect();
    }
  });

  it('when the deadline has passed, then DEADLINE_EXCEEDED', () => {
    expect(toGrpcStatus(new Error('canceling statement due to statement timeout'), true).status.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('when a domain error is thrown, then its code and reason are kept', () => {
    const mapped = toGrpcStatus(new DomainError('FAILED_PRECONDITION', 'NOT_PUBLISHED', 'the item is not published'));
    expect(mapped.status.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeError({ code: mapped.status.code, details: mapped.status.details, metadata: mapped.status.metadata }).reason).toBe(
      'NOT_PUBLISHED',
    );
  });
});
