import { describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer } from '../support/test-server.js';

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
