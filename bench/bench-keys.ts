import { loadConfig } from '../src/config.js';
import { createFieldCrypto } from '../src/crypto/field-crypto.js';

/** Bench-only keys (public, so worthless): the service under test and the seeded rows use them. */
export const BENCH_FIELD_KEYS_ENV = {
  ENCRYPTION_KEYS: 'bench:eNHnCqVU+gDHz8t2hRC1+UjM4rXFVnYMUQGxQDeGOPY=',
  BLIND_INDEX_KEY: 'rjmxn1fK6p8fkRedlBXNnUtgJ32RaPaF+D/E6xgtQU8=',
} as const;

const keys = loadConfig(BENCH_FIELD_KEYS_ENV).fieldKeys;
if (!keys) throw new Error('bench keys missing');

/** The field crypto of the bench keys, for rows seeded with SQL. */
export const benchFieldCrypto = createFieldCrypto(keys);
