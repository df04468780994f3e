import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * One fact of the audit trail. Append-only: the database itself refuses
 * UPDATE, DELETE and TRUNCATE on the table. (The TRUNCATE trigger lives in
 * the migration alone: the ORM's schema diff does not see statement triggers.)
 */
const REFUSE = "raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege'; return null;";

export const AuditEntrySchema = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_log',
  properties: {
    id: p.uuid().primary(),
    /** Who did it: a user id, a service name, or `system`. */
    actor: p.text(),
    /** What was done, e.g. `catalog_item.published`. */
    action: p.text(),
    entityType: p.text(),
    entityId: p.text(),
    /** Changed fields as { field: [before, after] }, never secrets. */
    diff: p.json<Record<string, unknown>>(),
    createTime: p.datetime(),
  },
  indexes: [
    { name: 'audit_log_entity_idx', properties: ['entityType', 'entityId', 'createTime', 'id'] },
    { name: 'audit_log_actor_idx', properties: ['actor', 'createTime', 'id'] },
    { name: 'audit_log_create_time_idx', properties: ['createTime', 'id'] },
  ],
  triggers: [{ name: 'audit_log_append_only', timing: 'before', events: ['update', 'delete'], forEach: 'row', body: REFUSE }],
});

export type AuditEntry = InferEntity<typeof AuditEntrySchema>;
