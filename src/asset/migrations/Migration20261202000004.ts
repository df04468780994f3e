import { Migration } from '@mikro-orm/migrations';

/** Course assets: one row per file of a catalog item, its object key and upload state. */
export class Migration20261202000004 extends Migration {
  override name = 'Migration20261202000004';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "assets" ("id" uuid not null, "catalog_item_id" uuid not null, "lesson_id" uuid null, "kind" text not null, "content_type" text not null, "size_bytes" bigint not null, "sha256" varchar(64) not null, "object_key" text not null, "status" text not null, "create_time" timestamptz not null, "update_time" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`alter table "assets" add constraint "assets_object_key_unique" unique ("object_key");`);
    this.addSql(`create index "assets_catalog_item_create_time_idx" on "assets" ("catalog_item_id", "create_time", "id");`);
    this.addSql(`create index "assets_lesson_create_time_idx" on "assets" ("lesson_id", "create_time", "id");`);
    this.addSql(`create index "assets_status_create_time_idx" on "assets" ("status", "create_time");`);

    this.addSql(
      `alter table "assets" add constraint "assets_catalog_item_id_foreign" foreign key ("catalog_item_id") references "catalog_items" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "assets" add constraint "assets_lesson_id_foreign" foreign key ("lesson_id") references "lessons" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "assets" add constraint "assets_size_bytes_check" check (size_bytes > 0);`);
    this.addSql(`alter table "assets" add constraint "assets_sha256_check" check (sha256 ~ '^[0-9a-f]{64}$');`);
    this.addSql(`alter table "assets" add constraint "assets_kind_check" check ("kind" in ('image', 'video', 'document', 'other'));`);
    this.addSql(`alter table "assets" add constraint "assets_status_check" check ("status" in ('pending', 'ready', 'deleted'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "assets" cascade;`);
  }
}
