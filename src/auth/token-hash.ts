import { createHash } from 'node:crypto';

/** Hex SHA-256 of a bearer token: the only form in which tokens are stored or configured. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
