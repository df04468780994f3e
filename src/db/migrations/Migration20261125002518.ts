import { Migration } from '@mikro-orm/migrations';

export class Migration20261125002518 extends Migration {
  override name = 'Migration20261125002518';

  override up(): void | Promise<void> {
    this.addSql(`create index "users_create_time_idx" on "users" ("create_time", "id");`);
    this.addSql(`create index "users_role_create_time_idx" on "users" ("role", "create_time", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "users_create_time_idx";`);
    this.addSql(`drop index "users_role_create_time_idx";`);
  }
}
