import { createHash, randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { CallerLimits, hostOf } from '../../src/server/caller-limits.js';
import { bearer, call, decodeError } from '../support/grpc.js';
import { testPasswordHasher, useTestServer } from '../support/test-server.js';

// CreateUser made slow (its password hashing), so calls overlap.
let hashDelayMs = 300;
let users: UserServiceClient;
const serviceToken = randomBytes(32).toString('base64url');

useTestServer(
  {
    env: {
      MAX_CONCURRENT_CALLS_PER_CALLER: '2',
      SERVICE_TOKENS: JSON.stringify([
        {
          name: 'onboarding',
          sha256: createHash('sha256').update(serviceToken).digest('hex'),
          methods: ['campus.identity.v1.UserService/*'],
        },
      ]),
    },
    overrides: {
      passwordHasher: {
        hash: async (password) => {
          await new Promise((resolve) => setTimeout(resolve, hashDelayMs));
          return testPasswordHasher.hash(password);
        },
        verify: testPasswordHasher.verify,
      },
    },
  },
  (_server, scope) => {
    users = scope.connect(UserServiceClient);
  },
);

let seq = 0;
const createUser = (metadata = bearer(serviceToken)) =>
  call(
    users.createUser,
    users,
    {
      user: { id: '', name: 'Many Calls', email: `limits${Date.now()}${seq++}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
      password: 'correct horse battery',
    },
    metadata,
  );

describe('per-caller concurrency', () => {
  it('when one caller has more calls in flight than allowed, then the extra ones get RESOURCE_EXHAUSTED and others are served', async () => {
    const flood = Array.from({ length: 5 }, () => createUser());
    // An anonymous caller (another caller) is not held back by the service's flood.
    const other = call(users.createUser, users, {
      user: { id: '', name: 'Someone Else', email: `other${Date.now()}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
      password: 'correct horse battery',
    });
    const results = await Promise.allSettled(flood);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => decodeError((r as PromiseRejectedResult).reason));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const err of refused) expect(err).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: 'TOO_MANY_CONCURRENT_CALLS' });
    expect((await other).name).toBe('Someone Else');
    // Slots are given back: the caller is served again.
    expect((await createUser()).name).toBe('Many Calls');
  });
});

describe('per-caller concurrency when calls outlive their deadline', () => {
  it("when a caller's stuck calls pass their deadline, then their slots are given back at the deadline, not when the handlers return", async () => {
    hashDelayMs = 3000;
    try {
      const metadata = bearer(serviceToken);
      const stuck = Array.from(
        { length: 2 },
        () =>
          new Promise<unknown>((resolve) => {
            users.createUser(
              {
                user: { id: '', name: 'Stuck', email: `stuck${Date.now()}${seq++}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
                password: 'correct horse battery',
              },
              metadata,
              { deadline: Date.now() + 200 },
              (err) => resolve(err),
            );
          }),
      );
      for (const err of await Promise.all(stuck)) expect(decodeError(err).code).toBe(status.DEADLINE_EXCEEDED);
      // Both handlers are still hashing; the caller's limit (2) must not count them any more.
      hashDelayMs = 300;
      const started = Date.now();
      const again = await Promise.allSettled([createUser(metadata), createUser(metadata)]);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(again.map((r) => (r.status === 'rejected' ? decodeError(r.reason).code : status.OK))).toEqual([status.OK, status.OK]);
    } finally {
      hashDelayMs = 300;
    }
  }, 15_000);
});

describe('CallerLimits', () => {
  it('when calls end, then their slots are released and the caller forgotten', () => {
    const limits = new CallerLimits(1);
    const principal = { kind: 'user', id: 'u1', role: 'student', sessionId: 's1' } as const;
    const release = limits.admit(principal, '127.0.0.1:1');
    expect(() => limits.admit(principal, '127.0.0.1:2')).toThrow(/at most 1/);
    release();
    release();
    expect(limits.callers).toBe(0);
    expect(() => limits.admit(principal, '127.0.0.1:2')()).not.toThrow();
  });

  it('when anonymous callers come from one address on different ports, then they share a limit', () => {
    const limits = new CallerLimits(1);
    limits.admit({ kind: 'anonymous', id: 'anonymous' }, 'ipv4:10.0.0.1:5000');
    expect(() => limits.admit({ kind: 'anonymous', id: 'anonymous' }, '10.0.0.1:6000')).toThrow();
    expect(() => limits.admit({ kind: 'anonymous', id: 'anonymous' }, '10.0.0.2:6000')).not.toThrow();
    expect(hostOf('[::1]:5000')).toBe('[::1]');
  });
});
