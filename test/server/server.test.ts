import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import { call, failure } from '../support/grpc.js';
import { askReflection } from '../support/reflection.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let users: UserServiceClient;
let health: HealthClient;

useTestServer({}, (s, scope) => {
  server = s;
  users = scope.connect(UserServiceClient);
  health = scope.connect(HealthClient);
});

describe('health', () => {
  it('when Postgres and MongoDB answer, then the server and each service are SERVING', async () => {
    for (const service of ['', 'campus.identity.v1.UserService']) {
      const res = await call(health.check, health, { service });
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
  });

  it('when a service is unknown, then NOT_FOUND', async () => {
    const err = await failure(call(health.check, health, { service: 'no.such.Service' }));
    expect(err.code).toBe(status.NOT_FOUND);
  });
});

describe('reflection', () => {
  const ask = (request: object) => askReflection(server.port, request);

  it('when a client lists services, then ours and health are there', async () => {
    const reply = await ask({ listServices: '' });
    const names = reply.listServicesResponse?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['campus.identity.v1.UserService', 'grpc.health.v1.Health']));
  });

  it('when a client asks for the file of a service, then it gets it with its imports', async () => {
    const reply = await ask({ fileContainingSymbol: 'campus.identity.v1.UserService' });
    const files = (reply.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) => Buffer.from(b).toString('latin1'));
    expect(files.some((f) => f.includes('campus/identity/v1/user.proto'))).toBe(true);
    expect(files.some((f) => f.includes('google/protobuf/timestamp.proto'))).toBe(true);
  });
});

describe('metrics and request log', () => {
  it('when calls are made, then /metrics counts them under the standard names', async () => {
    // Only an admin creates instructors.
    await call(
      users.createUser,
      users,
      {
        user: { id: '', name: 'Grace Hopper', email: `grace${Date.now()}@example.test`, role: Role.ROLE_INSTRUCTOR, etag: '' },
        password: 'correct horse battery',
      },
      await server.asAdmin(),
    );
    await failure(call(users.getUser, users, { id: 'nope' }));
    const res = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const labels = 'grpc_type="unary",grpc_service="campus.identity.v1.UserService"';
    expect(text).toMatch(new RegExp(`grpc_server_started_total\\{${labels},grpc_method="CreateUser"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`grpc_server_handled_total\\{${labels},grpc_method="CreateUser",grpc_code="OK"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`grpc_server_handled_total\\{${labels},grpc_method="GetUser",grpc_code="InvalidArgument"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`grpc_server_handling_seconds_count\\{${labels},grpc_method="GetUser"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`grpc_server_msg_received_total\\{${labels},grpc_method="CreateUser"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`grpc_server_msg_sent_total\\{${labels},grpc_method="CreateUser"\\} [1-9]`));
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('when a call ends, then one log line has its method, code and duration but not the password', async () => {
    const before = server.logs.length;
    await failure(call(users.getUser, users, { id: 'also-not-a-uuid' }));
    const lines = server.logs.slice(before).filter((l) => l.msg === 'rpc');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: '/campus.identity.v1.UserService/GetUser', code: 'InvalidArgument' });
    expect(typeof lines[0]?.ms).toBe('number');
    expect(JSON.stringify(server.logs)).not.toContain('correct horse battery');
  });

  it('when a path other than /metrics is asked for, then 404', async () => {
    const res = await fetch(`http://127.0.0.1:${server.app.metricsPort}/`);
    expect(res.status).toBe(404);
  });
});
