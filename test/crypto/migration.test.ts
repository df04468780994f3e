import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resealPersonalData } from '../../src/crypto/reseal.js';
import { openPostgres } from '../../src/db/postgres.js';
import { UserRepository } from '../../src/identity/user.repository.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { fieldCryptoFor } from '../support/field-keys.js';

/** The last migration before personal data was sealed. */
const BEFORE_SEALING = 'Migration20261125002724';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
const userId = uuidv7();
const paymentId = uuidv7();

beforeAll(async () => {
  db = await createTestDatabase();
  const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
  try {
    await orm.migrator.up({ to: BEFORE_SEALING });
  } finally {
    await orm.close();
  }
  // Rows as the previous version wrote them: in the clear.
  const sql = await rawClient(db.url);
  try {
    const itemId = uuidv7();
    const enrollmentId = uuidv7();
    await sql.query(
      `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time)
       values ($1, 'Barbara Liskov', 'Barbara@Example.test', 'barbara@example.test', 'student', 'x', now(), now())`,
      [userId],
    );
    await sql.query(
      `insert into catalog_items (id, title, description, price_amount, currency, published, create_time, update_time)
       values ($1, 'A course', 'About things', 100, 'EUR', true, now(), now())`,
      [itemId],
    );
    await sql.query(`insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at) values ($1, $2, $3, 'active', now())`, [
      enrollmentId,
      userId,
      itemId,
    ]);
    await sql.query(
      `insert into payments (id, user_id, enrollment_id, amount, currency, status, provider_ref, create_time, update_time)
       values ($1, $2, $3, 100, 'EUR', 'succeeded', 'ch_plain_reference', now(), now())`,
      [paymentId, userId, enrollmentId],
    );
  } finally {
    await sql.end();
  }
});

afterAll(async () => {
  await db?.drop();
});

const rawRows = async () => {
  const sql = await rawClient(db.url);
  try {
    const user = (await sql.query('select name, email, email_key from users where id = $1', [userId])).rows[0];
    const payment = (await sql.query('select provider_ref from payments where id = $1', [paymentId])).rows[0];
    return { user, payment };
  } finally {
    await sql.end();
  }
};

describe('the migration that seals personal data', () => {
  it('when plaintext rows exist and the migration runs without keys, then it fails and changes nothing', async () => {
    const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
    try {
      await expect(orm.migrator.up()).rejects.toThrow(/field keys/);
    } finally {
      await orm.close();
    }
    expect(await rawRows()).toEqual({
      user: { name: 'Barbara Liskov', email: 'Barbara@Example.test', email_key: 'barbara@example.test' },
      payment: { provider_ref: 'ch_plain_reference' },
    });
  });

  it('when it runs with keys, then plaintext rows are sealed, still read the same, and are found by email in any case', async () => {
    const crypto = fieldCryptoFor();
    const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000, fieldCrypto: crypto });
    try {
      await orm.migrator.up();
      const { user, payment } = await rawRows();
      expect(JSON.stringify({ user, payment })).not.toMatch(/Barbara|Liskov|ch_plain/i);
      expect(user?.email_key).toBe(crypto.blindIndex.ofEmail('barbara@example.test'));
      expect(crypto.keyRing.open(payment?.provider_ref, 'payments.provider_ref')).toBe('ch_plain_reference');

      const users = UserRepository.of(orm.em.fork());
      const found = await users.findByEmail('BARBARA@example.TEST');
      expect(found).toMatchObject({ id: userId, name: 'Barbara Liskov', email: 'Barbara@Example.test' });
      // Already under the first key: re-sealing has nothing to do.
      const again = await resealPersonalData(orm.em.fork(), crypto);
      expect(again).toMatchObject({ users: { scanned: 1, changed: 0 }, payments: { scanned: 1, changed: 0 }, failed: [] });
    } finally {
      await orm.close();
    }
  });
});
