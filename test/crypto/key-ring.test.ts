import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { BlindIndex } from '../../src/crypto/blind-index.js';
import { loadFieldKeys } from '../../src/crypto/field-keys-file.js';
import { KeyRing } from '../../src/crypto/key-ring.js';
import { SealedValueError } from '../../src/crypto/sealed-value-error.js';
import { TEST_KEYS } from '../support/field-keys.js';

const keysOf = (encryptionKeys: string) => {
  const keys = loadConfig({ ENCRYPTION_KEYS: encryptionKeys, BLIND_INDEX_KEY: TEST_KEYS.blindIndex }).fieldKeys;
  if (!keys) throw new Error('no keys');
  return keys;
};

describe('KeyRing', () => {
  const ring = new KeyRing(keysOf(`${TEST_KEYS.a},${TEST_KEYS.b}`).encryption);

  it('when a value is sealed and opened in the same context, then the plaintext comes back, unicode included', () => {
    for (const plain of ['', 'Ada Lovelace', 'Zoë Ωmega 👩‍🔬', 'x'.repeat(5000)]) {
      const sealed = ring.seal(plain, 'users.name');
      expect(sealed).toMatch(/^v1\.test-a\.[A-Za-z0-9_-]+$/);
      expect(ring.open(sealed, 'users.name')).toBe(plain);
    }
  });

  it('when any byte of a sealed value changes, or it is opened in another context, then SealedValueError, never other text', () => {
    const sealed = ring.seal('Ada Lovelace', 'users.name');
    const body = Buffer.from(sealed.split('.')[2] ?? '', 'base64url');
    for (let i = 0; i < body.length; i++) {
      const tampered = Buffer.from(body);
      tampered[i] = (tampered[i] ?? 0) ^ 0x80;
      expect(() => ring.open(`v1.test-a.${tampered.toString('base64url')}`, 'users.name')).toThrow(SealedValueError);
    }
    expect(() => ring.open(sealed, 'users.email')).toThrow(/users\.email: .*failed authentication/);
    // Relabelled with the other key id: the key id is bound too.
    expect(() => ring.open(sealed.replace('test-a', 'test-b'), 'users.name')).toThrow(SealedValueError);
    expect(() => ring.open('Ada Lovelace', 'users.name')).toThrow(/not a sealed value/);
    expect(() => ring.open('v1.test-a.AAAA', 'users.name')).toThrow(/truncated/);
  });

  it('when a value was sealed under a key that is no longer configured, then the error names the key id, not the value', () => {
    const old = new KeyRing(keysOf(TEST_KEYS.b).encryption).seal('Grace Hopper', 'users.name');
    const onlyA = new KeyRing(keysOf(TEST_KEYS.a).encryption);
    expect(() => onlyA.open(old, 'users.name')).toThrow(
      'users.name: the value is sealed under key id "test-b", which ENCRYPTION_KEYS does not hold',
    );
  });
});

describe('BlindIndex', () => {
  it('when emails differ only in case or surrounding space, then the index is equal; otherwise not, and never the email', () => {
    const index = new BlindIndex(Buffer.from(TEST_KEYS.blindIndex, 'base64'));
    expect(index.ofEmail(' Ada@Example.TEST ')).toBe(index.ofEmail('ada@example.test'));
    expect(index.ofEmail('ada@example.test')).not.toBe(index.ofEmail('ada2@example.test'));
    expect(index.ofEmail('ada@example.test')).toMatch(/^[0-9a-f]{64}$/);
    const otherKey = new BlindIndex(Buffer.from(TEST_KEYS.b.split(':')[1] ?? '', 'base64'));
    expect(otherKey.ofEmail('ada@example.test')).not.toBe(index.ofEmail('ada@example.test'));
  });
});

describe('field keys configuration', () => {
  const key = TEST_KEYS.blindIndex;

  it.each([
    [{ ENCRYPTION_KEYS: TEST_KEYS.a }, 'ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set together'],
    [{ ENCRYPTION_KEYS: 'nokid', BLIND_INDEX_KEY: key }, 'ENCRYPTION_KEYS[0] must be "<key id>:<base64 key>"'],
    [{ ENCRYPTION_KEYS: 'k1:c2hvcnQ=', BLIND_INDEX_KEY: key }, 'ENCRYPTION_KEYS[0] (k1) must be 32 random bytes in base64'],
    [{ ENCRYPTION_KEYS: `${TEST_KEYS.a},${TEST_KEYS.a}`, BLIND_INDEX_KEY: key }, 'ENCRYPTION_KEYS names a key id twice'],
    [{ ENCRYPTION_KEYS: TEST_KEYS.a, BLIND_INDEX_KEY: 'not base64!' }, 'BLIND_INDEX_KEY must be 32 random bytes in base64'],
    [
      { ENCRYPTION_KEYS: TEST_KEYS.a, BLIND_INDEX_KEY: TEST_KEYS.a.split(':')[1] ?? '' },
      'BLIND_INDEX_KEY must not be one of the ENCRYPTION_KEYS',
    ],
    [{ NODE_ENV: 'production' }, 'ENCRYPTION_KEYS and BLIND_INDEX_KEY are required when NODE_ENV=production'],
  ])('when %o, then one ConfigError line says what is wrong and repeats no key', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toMatch(/\n/);
    for (const secret of [TEST_KEYS.a.split(':')[1] ?? '', key, 'c2hvcnQ=']) expect((error as Error).message).not.toContain(secret);
  });

  it('when several keys are set, then the first seals and all open; base64url keys are accepted', () => {
    const urlKey = Buffer.from(TEST_KEYS.b.split(':')[1] ?? '', 'base64').toString('base64url');
    const keys = keysOf(`${TEST_KEYS.a}, old:${urlKey}`);
    expect(keys.encryption.map((k) => k.kid)).toEqual(['test-a', 'old']);
    expect(keys.encryption[1]?.key.length).toBe(32);
  });

  it('when no keys are set outside production, then development keys are generated once into DATA_DIR/keys.json (0600) with a warning', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'campus-keys-'));
    try {
      const lines: string[] = [];
      const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const first = await loadFieldKeys({ fieldKeys: undefined, production: false, dataDir }, log);
      const second = await loadFieldKeys({ fieldKeys: undefined, production: false, dataDir }, log);
      expect(second).toEqual(first);
      expect(first.encryption[0]?.key.length).toBe(32);
      const file = path.join(dataDir, 'keys.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('ENCRYPTION_KEYS and BLIND_INDEX_KEY are unset');
      // The warning names the file, never the keys in it.
      const content = await readFile(file, 'utf8');
      const secrets = Object.values(JSON.parse(content) as Record<string, string>).map((v) => v.split(':').at(-1) ?? '');
      for (const secret of secrets) expect(lines.join('')).not.toContain(secret);
      await expect(loadFieldKeys({ fieldKeys: undefined, production: true, dataDir }, log)).rejects.toThrow(ConfigError);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
