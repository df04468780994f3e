import { Migration } from '@mikro-orm/migrations';

/**
 * The keys of the per-user tables carry their distribution column (Citus,
 * `user_id`; src/db/sharding-plan.ts): primary keys become (user_id, id), a
 * payment attempt's idempotency key is unique per user, and a payment points
 * at its enrollment by (user_id, enrollment_id), so the two rows always live
 * on one shard. Ids stay unique on their own (UUIDv7 made by the service).
 */
export class Migration20261202065800 extends Migration {
  override name = 'Migration20261202065800';

  override up(): void | Promise<void> {
    this.addSql(`alter table "payments" drop constraint "payments_enrollment_id_foreign";`);

    this.addSql(`alter table "outbox_events" drop constraint "outbox_events_pkey";`);
    this.addSql(`alter table "outbox_events" add primary key ("user_id", "id");`);

    this.addSql(`alter table "payment_attempts" drop constraint "payment_attempts_idempotency_key_unique";`);
    this.addSql(`alter table "payment_attempts" drop constraint "payment_attempts_pkey";`);
    this.addSql(
      `alter table "payment_attempts" add constraint "payment_attempts_user_idempotency_key_unique" unique ("user_id", "idempotency_key");`,
    );
    this.addSql(`alter table "payment_attempts" add primary key ("user_id", "id");`);

    this.addSql(`alter table "lesson_progress" drop constraint "lesson_progress_pkey";`);
    this.addSql(`alter table "lesson_progress" add primary key ("user_id", "id");`);

    this.addSql(`alter table "enrollments" drop constraint "enrollments_pkey";`);
    this.addSql(`alter table "enrollments" add primary key ("user_id", "id");`);

    this.addSql(`drop index "payments_enrollment_idx";`);
    this.addSql(`alter table "payments" drop constraint "payments_pkey";`);
    this.addSql(
      `alter table "payments" add constraint "payments_user_id_enrollment_id_foreign" foreign key ("user_id", "enrollment_id") references "enrollments" ("user_id", "id") on update no action on delete restrict;`,
    );
    this.addSql(`create index "payments_user_id_enrollment_id_index" on "payments" ("user_id", "enrollment_id");`);
    this.addSql(`alter table "payments" add primary key ("user_id", "id");`);

    this.addSql(`create index "enrollments_id_idx" on "enrollments" ("id");`);
    this.addSql(`create index "payments_id_idx" on "payments" ("id");`);
    this.addSql(`create index "payment_attempts_id_idx" on "payment_attempts" ("id");`);
    this.addSql(`create index "outbox_events_id_idx" on "outbox_events" ("id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "enrollments_id_idx";`);
    this.addSql(`drop index "payments_id_idx";`);
    this.addSql(`drop index "payment_attempts_id_idx";`);
    this.addSql(`drop index "outbox_events_id_idx";`);
    this.addSql(`alter table "payments" drop constraint "payments_user_id_enrollment_id_foreign";`);

    this.addSql(`alter table "enrollments" drop constraint "enrollments_pkey";`);
    this.addSql(`alter table "enrollments" add primary key ("id");`);

    this.addSql(`alter table "lesson_progress" drop constraint "lesson_progress_pkey";`);
    this.addSql(`alter table "lesson_progress" add primary key ("id");`);

    this.addSql(`alter table "outbox_events" drop constraint "outbox_events_pkey";`);
    this.addSql(`alter table "outbox_events" add primary key ("id");`);

    this.addSql(`alter table "payment_attempts" drop constraint "payment_attempts_user_idempotency_key_unique";`);
    this.addSql(`alter table "payment_attempts" drop constraint "payment_attempts_pkey";`);
    this.addSql(`alter table "payment_attempts" add constraint "payment_attempts_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`alter table "payment_attempts" add primary key ("id");`);

    this.addSql(`drop index "payments_user_id_enrollment_id_index";`);
    this.addSql(`alter table "payments" drop constraint "payments_pkey";`);
    this.addSql(
      `alter table "payments" add constraint "payments_enrollment_id_foreign" foreign key ("enrollment_id") references "enrollments" ("id") on update no action on delete restrict;`,
    );
    this.addSql(`create index "payments_enrollment_idx" on "payments" ("enrollment_id");`);
    this.addSql(`alter table "payments" add primary key ("id");`);
  }
}
