import { v7 as uuidv7 } from 'uuid';
import { rawClient } from './databases.js';
import { sealedUser } from './field-keys.js';

/**
 * Inserts the relational facts other services own (users, catalog items,
 * enrollments) straight into a test's PostgreSQL database, for tests of
 * services that only read them.
 */
export class CampusRows {
  private constructor(private readonly db: Awaited<ReturnType<typeof rawClient>>) {}

  static async open(databaseUrl: string): Promise<CampusRows> {
    return new CampusRows(await rawClient(databaseUrl));
  }

  async user(role: 'student' | 'instructor' | 'admin' = 'student', opts: { deleted?: boolean } = {}): Promise<string> {
    const id = uuidv7();
    const sealed = sealedUser('Test User', `${id}@example.test`);
    await this.db.query(
      `insert into users (id, name, email, email_key, role, password_hash, create_time, update_time, delete_time)
       values ($1, $2, $3, $4, $5, 'x', now(), now(), $6)`,
      [id, sealed.name, sealed.email, sealed.emailKey, role, opts.deleted ? new Date() : null],
    );
    return id;
  }

  async catalogItem(instructorId: string | null, title = 'Relational Design'): Promise<string> {
    const id = uuidv7();
    await this.db.query(
      `insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time)
       values ($1, $2, 'A course', 1000, 'EUR', true, $3, now(), now())`,
      [id, title, instructorId],
    );
    return id;
  }

  async enrollment(userId: string, catalogItemId: string, status: 'active' | 'completed' | 'cancelled'): Promise<void> {
    await this.db.query(`insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at) values ($1, $2, $3, $4, now())`, [
      uuidv7(),
      userId,
      catalogItemId,
      status,
    ]);
  }

  close(): Promise<void> {
    return this.db.end();
  }
}
