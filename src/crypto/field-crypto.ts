import type { Configuration } from '@mikro-orm/core';
import type { FieldKeys } from '../config.js';
import { BlindIndex } from './blind-index.js';
import { KeyRing } from './key-ring.js';

/** What personal data at rest needs: the key ring that seals it and the email blind index. */
export interface FieldCrypto {
  readonly keyRing: KeyRing;
  readonly blindIndex: BlindIndex;
}

export function createFieldCrypto(keys: FieldKeys): FieldCrypto {
  return { keyRing: new KeyRing(keys.encryption), blindIndex: new BlindIndex(keys.blindIndex) };
}

const EXTENSION = 'campus-data:field-crypto';

/**
 * An ORM extension carrying `crypto`: each ORM instance holds its own keys in
 * its configuration, where the EncryptedText type and the repositories find
 * them. (Not a module-level key ring: tests, the re-encryption routine and a
 * rotation run several ORMs with different keys in one process.)
 */
export function fieldCryptoExtension(crypto: FieldCrypto): { register(orm: { config: Configuration }): void } {
  return { register: (orm) => orm.config.registerExtension(EXTENSION, () => crypto) };
}

/**
 * The keys of the ORM owning `config`. Throws when it was opened without
 * them: reading or writing personal data then fails rather than storing it
 * in the clear.
 */
export function fieldCryptoOf(config: Configuration): FieldCrypto {
  const crypto = config.getExtension<FieldCrypto>(EXTENSION);
  if (!crypto) throw new Error('personal data needs field keys: this PostgreSQL ORM was opened without them');
  return crypto;
}
