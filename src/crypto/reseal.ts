import type { EntityManager } from '@mikro-orm/postgresql';
import type { FieldCrypto } from './field-crypto.js';
import { SealedValueError } from './sealed-value-error.js';

export interface ResealOptions {
  /** Rows read and written per transaction. */
  readonly batchSize?: number;
  /**
   * `sealed` (the default): every value is sealed already; values under an
   * older key are opened and sealed again under the first key. `plaintext`:
   * the rows were written by a version that stored personal data in the
   * clear (the migration that introduced sealing); every value is sealed.
   */
  readonly source?: 'sealed' | 'plaintext';
  /** Called after each batch. */
  readonly onBatch?: (progress: { table: string; scanned: number; changed: number }) => void;
}

export interface ResealReport {
  readonly users: { scanned: number; changed: number };
  readonly payments: { scanned: number; changed: number };
  /** Values that could not be opened (tampered, or under a key no longer configured); left as they are. */
  readonly failed: { table: string; id: string; column: string; reason: string }[];
}

interface UserRow {
  id: string;
  name: string;
  email: string;
  email_key: string;
}

interface PaymentRow {
  id: string;
  provider_ref: string;
}

/**
 * Brings every personal value to the current keys: sealed under the first
 * ENCRYPTION_KEYS key, and users.email_key the blind index of the email under
 * BLIND_INDEX_KEY. Rows already there are not written, so a second run
 * changes nothing, and an interrupted run can simply be started again. Rows
 * are walked in primary-key order, `batchSize` per transaction; an update
 * applies only if the row still holds the values read, so a concurrent write
 * by the service (already under the first key) is never overwritten.
 *
 * The key rotation path: put the new key first in ENCRYPTION_KEYS (keeping
 * the old one), restart every replica, run this, then remove the old key.
 */
export async function resealPersonalData(em: EntityManager, crypto: FieldCrypto, options: ResealOptions = {}): Promise<ResealReport> {
  const batchSize = options.batchSize ?? 500;
  const plaintext = options.source === 'plaintext';
  const { keyRing, blindIndex } = crypto;
  const failed: ResealReport['failed'] = [];

  /** The plaintext of a stored value, or undefined (recorded as failed) when it does not open. */
  const open = (table: string, id: string, column: string, value: string): string | undefined => {
    if (plaintext) return value;
    try {
      return keyRing.open(value, `${table}.${column}`);
    } catch (err) {
      if (!(err instanceof SealedValueError)) throw err;
      failed.push({ table, id, column, reason: err.message });
      return undefined;
    }
  };
  /** The stored value under the first key: unchanged when it is there already. */
  const current = (table: string, column: string, stored: string, plain: string): string =>
    !plaintext && keyRing.kidOf(stored) === keyRing.primaryKid ? stored : keyRing.seal(plain, `${table}.${column}`);

  const users = await walk<UserRow>(em, 'users', 'id, name, email, email_key', '', batchSize, async (tx, rows) => {
    const updates: Record<string, string>[] = [];
    for (const row of rows) {
      const name = open('users', row.id, 'name', row.name);
      const email = open('users', row.id, 'email', row.email);
      if (name === undefined || email === undefined) continue;
      const next = {
        name: current('users', 'name', row.name, name),
        email: current('users', 'email', row.email, email),
        emailKey: blindIndex.ofEmail(email),
      };
      if (next.name !== row.name || next.email !== row.email || next.emailKey !== row.email_key) {
        updates.push({
          id: row.id,
          name: next.name,
          email: next.email,
          email_key: next.emailKey,
          old_name: row.name,
          old_email: row.email,
        });
      }
    }
    if (updates.length === 0) return 0;
    const result = await tx.execute<{ affectedRows: number }>(
      `update users u set name = v.name, email = v.email, email_key = v.email_key
       from jsonb_to_recordset(?::jsonb) as v(id uuid, name text, email text, email_key text, old_name text, old_email text)
       where u.id = v.id and u.name = v.old_name and u.email = v.old_email`,
      [JSON.stringify(updates)],
      'run',
    );
    return result.affectedRows;
  });

  const payments = await walk<PaymentRow>(em, 'payments', 'id, provider_ref', 'provider_ref is not null', batchSize, async (tx, rows) => {
    const updates: Record<string, string>[] = [];
    for (const row of rows) {
      const ref = open('payments', row.id, 'provider_ref', row.provider_ref);
      if (ref === undefined) continue;
      const next = current('payments', 'provider_ref', row.provider_ref, ref);
      if (next !== row.provider_ref) updates.push({ id: row.id, provider_ref: next, old_provider_ref: row.provider_ref });
    }
    if (updates.length === 0) return 0;
    const result = await tx.execute<{ affectedRows: number }>(
      `update payments p set provider_ref = v.provider_ref
       from jsonb_to_recordset(?::jsonb) as v(id uuid, provider_ref text, old_provider_ref text)
       where p.id = v.id and p.provider_ref = v.old_provider_ref`,
      [JSON.stringify(updates)],
      'run',
    );
    return result.affectedRows;
  });

  return { users, payments, failed };

  async function walk<Row extends { id: string }>(
    em: EntityManager,
    table: string,
    select: string,
    filter: string,
    size: number,
    apply: (tx: EntityManager, rows: Row[]) => Promise<number>,
  ): Promise<{ scanned: number; changed: number }> {
    let after: string | undefined;
    let scanned = 0;
    let changed = 0;
    for (;;) {
      const conditions = [filter, after === undefined ? '' : 'id > ?'].filter(Boolean);
      const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
      const batch = await em.transactional(async (tx) => {
        const rows = await tx.execute<Row[]>(
          `select ${select} from ${table} ${where} order by id limit ${size} for update`,
          after === undefined ? [] : [after],
        );
        return { rows, changed: rows.length > 0 ? await apply(tx, rows) : 0 };
      });
      scanned += batch.rows.length;
      changed += batch.changed;
      options.onBatch?.({ table, scanned, changed });
      const last = batch.rows.at(-1);
      if (!last || batch.rows.length < size) return { scanned, changed };
      after = last.id;
    }
  }
}
