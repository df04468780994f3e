import { type Algorithm, hash, verify } from '@node-rs/argon2';

// Algorithm is an ambient const enum; its Argon2id member is 2.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** Password hashing with argon2id; only the encoded hash is ever stored. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_DEFAULTS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function argon2idHasher(params: { memoryCost: number; timeCost: number; parallelism: number } = ARGON2ID_DEFAULTS): PasswordHasher {
  return {
    hash: (password) => hash(password, { algorithm: ARGON2ID, ...params }),
    verify: (encoded, password) => verify(encoded, password),
  };
}
