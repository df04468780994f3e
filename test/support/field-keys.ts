import { loadConfig } from '../../src/config.js';
import { createFieldCrypto, type FieldCrypto } from '../../src/crypto/field-crypto.js';

/** Test-only keys (public, so worthless): every test server uses them unless a test passes its own. */
export const TEST_KEYS = {
  a: 'test-a:rjmxn1fK6p8fkRedlBXNnUtgJ32RaPaF+D/E6xgtQU8=',
  b: 'test-b:bejGdd0ilIed6yb6cVs7SQRP7Hfy5akBhbodHSp+05w=',
  blindIndex: 'DdUZ5z5evUE0Idhdmtr3hm2X5tznRnZsKT3/i7X2ssQ=',
} as const;

/** The settings startTestServer applies by default. */
export const TEST_FIELD_KEYS_ENV = { ENCRYPTION_KEYS: TEST_KEYS.a, BLIND_INDEX_KEY: TEST_KEYS.blindIndex } as const;

/** The field crypto of `env` (the default test keys when omitted). */
export function fieldCryptoFor(env: { ENCRYPTION_KEYS: string; BLIND_INDEX_KEY: string } = TEST_FIELD_KEYS_ENV): FieldCrypto {
  const keys = loadConfig(env).fieldKeys;
  if (!keys) throw new Error('no field keys');
  return createFieldCrypto(keys);
}

const testCrypto = fieldCryptoFor();

/**
 * The stored columns of a user row as the service writes them under the
 * default test keys, for fixtures that insert rows with SQL.
 */
export function sealedUser(name: string, email: string): { name: string; email: string; emailKey: string } {
  return {
    name: testCrypto.keyRing.seal(name, 'users.name'),
    email: testCrypto.keyRing.seal(email, 'users.email'),
    emailKey: testCrypto.blindIndex.ofEmail(email),
  };
}

/** payments.provider_ref as the service writes it under the default test keys. */
export function sealedProviderRef(ref: string): string {
  return testCrypto.keyRing.seal(ref, 'payments.provider_ref');
}
