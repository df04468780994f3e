import { Migration } from '@mikro-orm/migrations';

/**
 * Money and events safe whatever fails when: payment attempts are recorded
 * before the provider is called (and settled by the reconciler), and events
 * that follow a committed fact wait in an outbox written by the fact's own
 * transaction until they are relayed to analytics.
 */
export class Migration20261202000225 extends Migration {
  override name = 'Migration20261202000225';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "outbox_events" ("id" uuid not null, "type" text not null, "user_id" uuid not null, "catalog_item_id" uuid not null, "lesson_id" uuid null, "occur_time" timestamptz not null, "properties" jsonb not null, "create_time" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "outbox_events_create_time_idx" on "outbox_events" ("create_time");`);

    this.addSql(
      `create table "payment_attempts" ("id" uuid not null, "request_key" text not null, "idempotency_key" text not null, "user_id" uuid not null, "enrollment_id" uuid not null, "amount" bigint not null, "currency" varchar(3) not null, "status" text not null, "create_time" timestamptz not null, "update_time" timestamptz not null, "settle_time" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "payment_attempts_request_key_idx" on "payment_attempts" ("request_key");`);
    this.addSql(`alter table "payment_attempts" add constraint "payment_attempts_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "payment_attempts_status_create_time_idx" on "payment_attempts" ("status", "create_time");`);

    this.addSql(`alter table "payment_attempts" add constraint "payment_attempts_amount_check" check (amount > 0);`);
    this.addSql(
      `alter table "payment_attempts" add constraint "payment_attempts_status_check" check ("status" in ('open', 'completed', 'refunded', 'failed'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_events" cascade;`);
    this.addSql(`drop table if exists "payment_attempts" cascade;`);
  }
}
