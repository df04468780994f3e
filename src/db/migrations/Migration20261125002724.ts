import { Migration } from '@mikro-orm/migrations';

export class Migration20261125002724 extends Migration {
  override name = 'Migration20261125002724';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "sessions" ("id" uuid not null, "user_id" uuid not null, "token_hash" text not null, "create_time" timestamptz not null, "expire_time" timestamptz not null, "absolute_expire_time" timestamptz not null, "revoke_time" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "sessions_user_idx" on "sessions" ("user_id");`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_revoke_time_idx" on "sessions" ("revoke_time");`);

    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sessions" cascade;`);
  }
}
