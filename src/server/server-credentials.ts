import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { ConfigError, type TlsFiles } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * TLS when a certificate and key are configured; mutual TLS (a client
 * certificate signed by the given CA is required) when a client CA is too;
 * plaintext, with a warning, when nothing is.
 */
export function serverCredentials(tls: TlsFiles | undefined, log: Logger): ServerCredentials {
  if (tls === undefined) {
    log.warn('gRPC is served in plaintext: set TLS_CERT_FILE and TLS_KEY_FILE outside a trusted network');
    return ServerCredentials.createInsecure();
  }
  const cert = read('TLS_CERT_FILE', tls.certFile);
  const key = read('TLS_KEY_FILE', tls.keyFile);
  const clientCa = tls.clientCaFile === undefined ? null : read('TLS_CLIENT_CA_FILE', tls.clientCaFile);
  try {
    const credentials = ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
    log.info({ mutualTls: clientCa !== null }, 'gRPC is served over TLS');
    return credentials;
  } catch {
    throw new ConfigError('TLS_CERT_FILE or TLS_KEY_FILE does not hold a PEM certificate and its key');
  }
}

function read(name: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ConfigError(`${name} cannot be read`);
  }
}
