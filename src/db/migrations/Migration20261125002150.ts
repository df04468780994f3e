import { Migration } from '@mikro-orm/migrations';

export class Migration20261125002150 extends Migration {
  override name = 'Migration20261125002150';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "audit_log" ("id" uuid not null, "actor" text not null, "action" text not null, "entity_type" text not null, "entity_id" text not null, "diff" jsonb not null, "create_time" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "audit_log_entity_idx" on "audit_log" ("entity_type", "entity_id", "create_time", "id");`);
    this.addSql(`create index "audit_log_actor_idx" on "audit_log" ("actor", "create_time", "id");`);
    this.addSql(`create index "audit_log_create_time_idx" on "audit_log" ("create_time", "id");`);

    this.addSql(
      `create table "idempotency_records" ("id" uuid not null, "operation" text not null, "request_id" uuid not null, "fingerprint" text not null, "resource_id" uuid not null, "create_time" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "idempotency_records_create_time_idx" on "idempotency_records" ("create_time");`);
    this.addSql(
      `alter table "idempotency_records" add constraint "idempotency_records_operation_request_unique" unique ("operation", "request_id");`,
    );

    this.addSql(
      `create table "catalog_items" ("id" uuid not null, "title" text not null, "description" text not null, "price_amount" bigint not null, "currency" varchar(3) not null, "published" boolean not null, "instructor_id" uuid null, "create_time" timestamptz not null, "update_time" timestamptz not null, "version" int not null default 1, "search" tsvector generated always as (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')) stored null, primary key ("id"));`,
    );
    this.addSql(`create index "catalog_items_search_idx" on "public"."catalog_items" using gin("search");`);
    this.addSql(`create index "catalog_items_create_time_idx" on "catalog_items" ("create_time", "id");`);
    this.addSql(`create index "catalog_items_title_idx" on "catalog_items" ("title", "id");`);
    this.addSql(`create index "catalog_items_price_idx" on "catalog_items" ("price_amount", "id");`);
    this.addSql(`create index "catalog_items_published_create_time_idx" on "catalog_items" ("published", "create_time", "id");`);
    this.addSql(`create index "catalog_items_published_title_idx" on "catalog_items" ("published", "title", "id");`);
    this.addSql(`create index "catalog_items_published_price_idx" on "catalog_items" ("published", "price_amount", "id");`);
    this.addSql(`create index "catalog_items_instructor_create_time_idx" on "catalog_items" ("instructor_id", "create_time", "id");`);
    this.addSql(`create index "catalog_items_instructor_title_idx" on "catalog_items" ("instructor_id", "title", "id");`);
    this.addSql(`create index "catalog_items_instructor_price_idx" on "catalog_items" ("instructor_id", "price_amount", "id");`);

    this.addSql(
      `create table "lessons" ("id" uuid not null, "catalog_item_id" uuid not null, "title" text not null, "position" int not null, "create_time" timestamptz not null, "update_time" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(
      `alter table "lessons" add constraint "lessons_catalog_item_position_unique" unique ("catalog_item_id", "position") deferrable initially deferred;`,
    );

    this.addSql(
      `create table "lesson_progress" ("id" uuid not null, "user_id" uuid not null, "catalog_item_id" uuid not null, "lesson_id" uuid not null, "completed_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "lesson_progress_lesson_idx" on "lesson_progress" ("lesson_id");`);
    this.addSql(`create index "lesson_progress_user_catalog_item_idx" on "lesson_progress" ("user_id", "catalog_item_id");`);
    this.addSql(`create index "lesson_progress_catalog_item_idx" on "lesson_progress" ("catalog_item_id");`);
    this.addSql(`alter table "lesson_progress" add constraint "lesson_progress_user_lesson_unique" unique ("user_id", "lesson_id");`);

    this.addSql(
      `create table "enrollments" ("id" uuid not null, "user_id" uuid not null, "catalog_item_id" uuid not null, "status" text not null, "enrolled_at" timestamptz not null, "completed_at" timestamptz null, "cancelled_at" timestamptz null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "enrollments_user_enrolled_at_idx" on "enrollments" ("user_id", "enrolled_at", "id");`);
    this.addSql(`create index "enrollments_catalog_item_enrolled_at_idx" on "enrollments" ("catalog_item_id", "enrolled_at", "id");`);
    this.addSql(`alter table "enrollments" add constraint "enrollments_user_catalog_item_unique" unique ("user_id", "catalog_item_id");`);

    this.addSql(
      `create table "payments" ("id" uuid not null, "user_id" uuid not null, "enrollment_id" uuid not null, "amount" bigint not null, "currency" varchar(3) not null, "status" text not null, "provider_ref" text null, "create_time" timestamptz not null, "update_time" timestamptz not null, "refund_time" timestamptz null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "payments_enrollment_idx" on "payments" ("enrollment_id");`);
    this.addSql(`create index "payments_user_create_time_idx" on "payments" ("user_id", "create_time", "id");`);

    this.addSql(`alter table "users" add "delete_time" timestamptz null;`);

    this.addSql(
      `create or replace function "audit_log_audit_log_append_only_fn"() returns trigger as $$ begin raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; return null; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "audit_log_append_only" BEFORE UPDATE OR DELETE on "audit_log" for each ROW execute function "audit_log_audit_log_append_only_fn"();`,
    );
    this.addSql(
      `create or replace function "audit_log_audit_log_no_truncate_fn"() returns trigger as $$ begin raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; return null; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "audit_log_no_truncate" BEFORE TRUNCATE on "audit_log" for each STATEMENT execute function "audit_log_audit_log_no_truncate_fn"();`,
    );

    this.addSql(
      `alter table "catalog_items" add constraint "catalog_items_instructor_id_foreign" foreign key ("instructor_id") references "users" ("id") on delete restrict;`,
    );
    this.addSql(`alter table "catalog_items" add constraint "catalog_items_price_amount_check" check (price_amount >= 0);`);
    this.addSql(`alter table "catalog_items" add constraint "catalog_items_currency_check" check (currency ~ '^[A-Z]{3}$');`);

    this.addSql(
      `alter table "lessons" add constraint "lessons_catalog_item_id_foreign" foreign key ("catalog_item_id") references "catalog_items" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "lessons" add constraint "lessons_position_check" check (position > 0);`);

    this.addSql(
      `alter table "lesson_progress" add constraint "lesson_progress_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "lesson_progress" add constraint "lesson_progress_catalog_item_id_foreign" foreign key ("catalog_item_id") references "catalog_items" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "lesson_progress" add constraint "lesson_progress_lesson_id_foreign" foreign key ("lesson_id") references "lessons" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "enrollments" add constraint "enrollments_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "enrollments" add constraint "enrollments_catalog_item_id_foreign" foreign key ("catalog_item_id") references "catalog_items" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "enrollments" add constraint "enrollments_status_check" check ("status" in ('active', 'completed', 'cancelled'));`,
    );

    this.addSql(
      `alter table "payments" add constraint "payments_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete restrict;`,
    );
    this.addSql(
      `alter table "payments" add constraint "payments_enrollment_id_foreign" foreign key ("enrollment_id") references "enrollments" ("id") on delete restrict;`,
    );
    this.addSql(`alter table "payments" add constraint "payments_amount_check" check (amount >= 0);`);
    this.addSql(`alter table "payments" add constraint "payments_currency_check" check (currency ~ '^[A-Z]{3}$');`);
    this.addSql(
      `alter table "payments" add constraint "payments_status_check" check ("status" in ('pending', 'succeeded', 'refunded', 'failed'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "lessons" drop constraint "lessons_catalog_item_id_foreign";`);
    this.addSql(`alter table "lesson_progress" drop constraint "lesson_progress_catalog_item_id_foreign";`);
    this.addSql(`alter table "enrollments" drop constraint "enrollments_catalog_item_id_foreign";`);
    this.addSql(`alter table "lesson_progress" drop constraint "lesson_progress_lesson_id_foreign";`);
    this.addSql(`alter table "payments" drop constraint "payments_enrollment_id_foreign";`);

    this.addSql(`drop trigger if exists "audit_log_append_only" on "audit_log";`);
    this.addSql(`drop function if exists "audit_log_audit_log_append_only_fn"();`);
    this.addSql(`drop trigger if exists "audit_log_no_truncate" on "audit_log";`);
    this.addSql(`drop function if exists "audit_log_audit_log_no_truncate_fn"();`);
    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "idempotency_records" cascade;`);
    this.addSql(`drop table if exists "catalog_items" cascade;`);
    this.addSql(`drop table if exists "lessons" cascade;`);
    this.addSql(`drop table if exists "lesson_progress" cascade;`);
    this.addSql(`drop table if exists "enrollments" cascade;`);
    this.addSql(`drop table if exists "payments" cascade;`);

    this.addSql(`alter table "users" drop column "delete_time";`);
  }
}
