import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { AuditEntrySchema } from './audit-entry.entity.js';

/**
 * Every action the audit log records, `<entity type>.<verb>`, where the entity
 * type (lower case, the `entity_type` column and the filter of
 * ListAuditEntries) is the part before the dot. Each domain adds its own
 * actions to this interface from its `<domain>.module.ts`, next to the table
 * of them its module declares (`auditActions`); `recordAudit` takes only
 * these. src/modules.ts composes the tables, docs/security.md shows them
 * (`npm run docs:security`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: the domains' modules add the members (declaration merging)
export interface AuditedActions {}

export type AuditAction = keyof AuditedActions & string;

/** The entity type of an action: what comes before the dot. */
export function entityTypeOf(action: string): string {
  return action.slice(0, action.indexOf('.'));
}

export interface AuditFact {
  readonly actor: string;
  /** One of AuditedActions; its entity type is the part before the dot. */
  readonly action: AuditAction;
  readonly entityId: string;
  /** Changed fields as { field: [before, after] }; never secrets or personal data. */
  readonly diff?: Record<string, unknown>;
}

/**
 * Adds an audit entry to the caller's unit of work, so that it commits with
 * the change it describes, or not at all.
 */
export function recordAudit(em: EntityManager, fact: AuditFact): void {
  em.create(AuditEntrySchema, {
    id: uuidv7(),
    actor: fact.actor,
    action: fact.action,
    entityType: entityTypeOf(fact.action),
    entityId: fact.entityId,
    diff: fact.diff ?? {},
    createTime: new Date(),
  });
}

/** { field: [before, after] } for the fields whose values differ. */
export function diffOf<T extends object>(
  before: Partial<T>,
  after: Partial<T>,
  fields: readonly (keyof T & string)[],
): Record<string, unknown> {
  const diff: Record<string, unknown> = {};
  for (const field of fields) {
    const a = normalise(before[field]);
    const b = normalise(after[field]);
    if (a !== b) diff[field] = [a, b];
  }
  return diff;
}

function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value ?? null;
}
