/**
 * Measures what sealing personal data costs: seal and open per value, the
 * blind index per email, per user row read (two opens, as GetUser hydrates
 * name and email) and written (two seals and the index), next to a point read
 * of one user through the ORM for scale. Usage:
 * DATABASE_URL=... (migrated) node --import tsx scripts/bench-field-crypto.ts
 */
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { createFieldCrypto } from '../src/crypto/field-crypto.js';
import { openPostgres } from '../src/db/postgres.js';
import { UserSchema } from '../src/identity/user.entity.js';
import { UserRepository } from '../src/identity/user.repository.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.N ?? 100_000);
const crypto = createFieldCrypto({
  encryption: [{ kid: 'bench', key: randomBytes(32) }],
  blindIndex: randomBytes(32),
});
const { keyRing, blindIndex } = crypto;
const name = 'Ada Lovelace';
const email = 'ada.lovelace@example.test';

/** Median µs per call of `fn` over three rounds of `n` calls. */
function perCall(fn: (i: number) => unknown, n = N): number {
  for (let i = 0; i < 10_000; i++) fn(i);
  const rounds = [0, 1, 2].map(() => {
    const start = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return ((performance.now() - start) * 1000) / n;
  });
  return rounds.sort((a, b) => a - b)[1] ?? 0;
}

const sealedName = keyRing.seal(name, 'users.name');
const sealedEmail = keyRing.seal(email, 'users.email');
const figures: Record<string, number> = {
  'seal name (12 chars)': perCall(() => keyRing.seal(name, 'users.name')),
  'open name': perCall(() => keyRing.open(sealedName, 'users.name')),
  'seal email (25 chars)': perCall(() => keyRing.seal(email, 'users.email')),
  'open email': perCall(() => keyRing.open(sealedEmail, 'users.email')),
  'blind index of email': perCall(() => blindIndex.ofEmail(email)),
  'user row read (open name + email)': perCall(() => [keyRing.open(sealedName, 'users.name'), keyRing.open(sealedEmail, 'users.email')]),
  'user row write (seal both + index)': perCall(() => [
    keyRing.seal(name, 'users.name'),
    keyRing.seal(email, 'users.email'),
    blindIndex.ofEmail(email),
  ]),
};

const orm = await openPostgres({ url, statementTimeoutMs: 10_000, poolMax: 1, fieldCrypto: crypto });
const id = uuidv7();
try {
  const em = orm.em.fork();
  em.create(UserSchema, {
    id,
    name,
    email,
    emailKey: blindIndex.ofEmail(`${id}@example.test`),
    role: 'student',
    passwordHash: '!',
    createTime: new Date(),
    updateTime: new Date(),
  });
  await em.flush();
  const reads = 3_000;
  for (let i = 0; i < 300; i++) await UserRepository.of(orm.em.fork()).findById(id);
  const start = performance.now();
  for (let i = 0; i < reads; i++) await UserRepository.of(orm.em.fork()).findById(id);
  figures['ORM point read of one user (findById, sequential)'] = ((performance.now() - start) * 1000) / reads;
} finally {
  await orm.em.fork().getConnection().execute('delete from users where id = ?', [id]);
  await orm.close();
}

for (const [what, us] of Object.entries(figures)) console.log(`${what.padEnd(52)} ${us.toFixed(2).padStart(8)} µs`);
