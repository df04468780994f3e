import { type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import type { PasswordHasher } from '../../src/identity/password-hasher.js';
import { call, connect, connectAnonymous, failure } from '../support/grpc.js';
import { askReflection } from '../support/reflection.js';
import { startTestServer, testPasswordHasher } from '../support/test-server.js';

describe('graceful shutdown', () => {
  it('when shutdown begins, then health turns NOT_SERVING, watchers are told, and the port stops answering', async () => {
    const server = await startTestServer();
    const health = connect(HealthClient, server.port);
    const watched: HealthCheckResponse_ServingStatus[] = [];
    const watch = health.watch({ service: '' });
    watch.on('data', (res: { status: HealthCheckResponse_ServingStatus }) => watched.push(res.status));
    watch.on('error', () => undefined);
    await expect.poll(() => watched[0]).toBe(HealthCheckResponse_ServingStatus.SERVING);

    await server.close();

    expect(server.app.health.status).toBe('NOT_SERVING');
    // Open Watch streams are ended, so shutdown completes without being forced.
    expect(server.logs.find((l) => l.msg === 'campus-data stopped')).toMatchObject({ how: 'graceful' });
    expect(watched).toContain(HealthCheckResponse_ServingStatus.NOT_SERVING);
    await expect(call(health.check, health, { service: '' }, undefined)).rejects.toMatchObject({ code: 14 });
    health.close();
  });
});

describe('draining', () => {
  it('when shutdown begins with a call in flight, then during the grace health answers NOT_SERVING, new calls are refused UNAVAILABLE, and the call in flight finishes', async () => {
    let held = false;
    let entered: () => void = () => undefined;
    let release: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const passwordHasher: PasswordHasher = {
      hash: (password) => testPasswordHasher.hash(password),
      verify: async (hash, password) => {
        if (held) {
          entered();
          await released;
        }
        return testPasswordHasher.verify(hash, password);
      },
    };
    const server = await startTestServer({ SHUTDOWN_GRACE_MS: '20000' }, { passwordHasher });
    const auth = connectAnonymous(AuthServiceClient, server.port);
    const health = connect(HealthClient, server.port);
    try {
      held = true;
      const inFlight = call(auth.login, auth, { email: server.admin.email, password: server.admin.password });
      await reached;

      const closing = server.close();
      await expect.poll(() => server.app.health.status).toBe('NOT_SERVING');

      // A probe on a fresh connection sees the drain; so does one per service.
      expect(await call(health.check, health, { service: '' })).toEqual({ status: HealthCheckResponse_ServingStatus.NOT_SERVING });
      expect(await call(health.check, health, { service: 'campus.identity.v1.AuthService' })).toEqual({
        status: HealthCheckResponse_ServingStatus.NOT_SERVING,
      });
      // An ordinary call, on the connection of the call in flight and on a new one, is refused.
      expect(await failure(call(auth.login, auth, { email: server.admin.email, password: 'not-the-password' }))).toMatchObject({
        code: status.UNAVAILABLE,
        message: expect.stringMatching(/shutting down/),
      });
      const users = connect(UserServiceClient, server.port);
      try {
        expect(await failure(call(users.getUser, users, { id: server.admin.id }))).toMatchObject({
          code: status.UNAVAILABLE,
          message: expect.stringMatching(/shutting down/),
        });
      } finally {
        users.close();
      }

      // So is a stream (reflection), which the interceptor drains.
      await expect(askReflection(server.port, { listServices: '' })).rejects.toMatchObject({
        code: status.UNAVAILABLE,
      } satisfies Partial<ServiceError>);

      release();
      expect((await inFlight).sessionToken).not.toBe('');
      await closing;
      expect(server.logs.find((l) => l.msg === 'campus-data stopped')).toMatchObject({ how: 'graceful' });
    } finally {
      release();
      auth.close();
      health.close();
    }
  });
});
