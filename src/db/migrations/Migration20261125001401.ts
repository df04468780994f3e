import { Migration } from '@mikro-orm/migrations';

export class Migration20261125001401 extends Migration {
  override name = 'Migration20261125001401';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "users" ("id" uuid not null, "name" text not null, "email" text not null, "email_key" text not null, "role" text not null, "password_hash" text not null, "create_time" timestamptz not null, "update_time" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_email_key_unique" unique ("email_key");`);

    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('student', 'instructor', 'admin'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "users" cascade;`);
  }
}
