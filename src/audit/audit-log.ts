import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { AuditEntrySchema } from './audit-entry.entity.js';
import { type AuditAction, entityTypeOf } from './audited-actions.js';

export interface AuditFact {
  readonly actor: string;
  /** One of AUDITED_ACTIONS; its entity type is the part before the dot. */
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
