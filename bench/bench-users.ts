import type pg from 'pg';
import { benchFieldCrypto } from './bench-keys.js';

/** First 48 bits of every bench user id: a fixed millisecond time, as in a UUIDv7. */
const TIME_BASE = 0x019a_0000_0000;

/** A placeholder in the shape of an argon2id hash; nobody signs in during a bench. */
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmVuYw';

/** The id of the i-th seeded user: time-ordered like the service's UUIDv7 ids, and computable anywhere. */
export function benchUserId(i: number): string {
  const time = (TIME_BASE + i).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** The same as benchUserId, in SQL over the integer column `g`. */
const SQL_USER_ID = `(
  substr(lpad(to_hex(${TIME_BASE}::bigint + g), 12, '0'), 1, 8) || '-' ||
  substr(lpad(to_hex(${TIME_BASE}::bigint + g), 12, '0'), 9, 4) || '-7000-8000-' ||
  lpad(to_hex(g), 12, '0')
)::uuid`;

/**
 * Makes users 0..count-1 exist, inserted in bulk with SQL (not through
 * CreateUser: hashing passwords would take most of the run). Idempotent.
 * Every row holds the same sealed name and email (so GetUser pays the real
 * decryption cost) and a distinct email_key; nobody signs in as them.
 */
export async function ensureBenchUsers(sql: pg.Client, count: number): Promise<void> {
  const { rows } = await sql.query<{ n: string }>('select count(*) as n from users');
  const existing = Number(rows[0]?.n ?? 0);
  if (existing >= count) return;
  const { keyRing } = benchFieldCrypto;
  await sql.query(
    `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time, version)
     select ${SQL_USER_ID}, $4, $5, encode(sha256(convert_to('user' || g, 'UTF8')), 'hex'),
            (array['student', 'student', 'student', 'instructor'])[1 + g % 4], $1, now(), now(), 1
     from generate_series($2::int, $3::int) as g`,
    [PASSWORD_HASH, existing, count - 1, keyRing.seal('Bench User', 'users.name'), keyRing.seal('user@bench.test', 'users.email')],
  );
  await sql.query('analyze users');
  const last = await sql.query('select 1 from users where id = $1', [benchUserId(count - 1)]);
  if (last.rowCount !== 1) throw new Error('seeded user ids do not match benchUserId()');
}
