import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServiceClient, PrincipalKind } from '../../generated/campus/identity/v1/auth.js';
import { call, failure } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with the openssl CLI. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const issue = (name: string, subject: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-subj',
    '/CN=campus-test-ca',
    '-days',
    '1',
    '-out',
    'ca.crt',
  );
  issue('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=billing-worker', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => readFileSync(file(name));
  return { file, read };
}

let dir: string;
let certs: ReturnType<typeof makeCertificates>;
let tls: TestServer;
let mtls: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'campus-tls-'));
  certs = makeCertificates(dir);
  const files = { TLS_CERT_FILE: certs.file('server.crt'), TLS_KEY_FILE: certs.file('server.key') };
  [tls, mtls] = await Promise.all([startTestServer(files), startTestServer({ ...files, TLS_CLIENT_CA_FILE: certs.file('ca.crt') })]);
});
afterAll(async () => {
  await Promise.all([tls?.close(), mtls?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const whoAmI = async (port: number, creds: ReturnType<typeof credentials.createInsecure>) => {
  const client = new AuthServiceClient(`127.0.0.1:${port}`, creds);
  try {
    return await call(client.whoAmI, client, {});
  } finally {
    client.close();
  }
};

describe('TLS', () => {
  it('when TLS files are set, then a client that trusts the CA is served over TLS', async () => {
    expect((await whoAmI(tls.port, credentials.createSsl(certs.read('ca.crt')))).kind).toBe(PrincipalKind.PRINCIPAL_KIND_ANONYMOUS);
    expect(tls.logs.some((l) => l.msg === 'gRPC is served over TLS' && l.mutualTls === false)).toBe(true);
  });

  it('when a client speaks plaintext to a TLS port, then it gets no answer', async () => {
    expect((await failure(whoAmI(tls.port, credentials.createInsecure()))).code).toBe(status.UNAVAILABLE);
  });

  it('when a client CA is set, then a client with a certificate it signed is served', async () => {
    const creds = credentials.createSsl(certs.read('ca.crt'), certs.read('client.key'), certs.read('client.crt'));
    expect((await whoAmI(mtls.port, creds)).kind).toBe(PrincipalKind.PRINCIPAL_KIND_ANONYMOUS);
  });

  it('when a client CA is set, then a client without a certificate is refused', async () => {
    expect((await failure(whoAmI(mtls.port, credentials.createSsl(certs.read('ca.crt'))))).code).toBe(status.UNAVAILABLE);
  });

  it('when a client certificate is signed by another CA, then it is refused', async () => {
    const other = makeCertificates(mkdtempSync(path.join(dir, 'other-')));
    const creds = credentials.createSsl(certs.read('ca.crt'), other.read('client.key'), other.read('client.crt'));
    expect((await failure(whoAmI(mtls.port, creds))).code).toBe(status.UNAVAILABLE);
  });

  it('when the metrics port is asked over plain HTTP, then it answers', async () => {
    expect((await fetch(`http://127.0.0.1:${mtls.app.metricsPort}/metrics`)).status).toBe(200);
  });
});
