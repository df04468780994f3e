import { rawClient } from './databases.js';
import { insertCatalogItem, insertEnrollment, insertUser } from './fixtures.js';

/** The rows of fixtures.ts over a database client of its own (for tests that hold no other). */
export class CampusRows {
  private constructor(private readonly db: Awaited<ReturnType<typeof rawClient>>) {}

  static async open(databaseUrl: string): Promise<CampusRows> {
    return new CampusRows(await rawClient(databaseUrl));
  }

  user(role: 'student' | 'instructor' | 'admin' = 'student', opts: { deleted?: boolean } = {}): Promise<string> {
    return insertUser(this.db, { role, deleted: opts.deleted, name: 'Test User' });
  }

  async catalogItem(instructorId: string | null, title = 'Relational Design'): Promise<string> {
    return (await insertCatalogItem(this.db, { instructorId, title, priceAmount: 1000n })).id;
  }

  async enrollment(userId: string, catalogItemId: string, status: 'active' | 'completed' | 'cancelled'): Promise<void> {
    await insertEnrollment(this.db, userId, catalogItemId, status);
  }

  close(): Promise<void> {
    return this.db.end();
  }
}
