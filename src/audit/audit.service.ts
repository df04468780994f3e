import type { EntityManager } from '@mikro-orm/core';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { decodeTimeIdToken, type Page, timeIdPage } from '../pagination/time-id-keyset.js';
import { FieldChecks } from '../validation/field-checks.js';
import type { AuditEntry } from './audit-entry.entity.js';
import type { AuditFilter } from './audit-entry.repository.js';
import { AuditEntryRepository } from './audit-entry.repository.js';

export interface ListAuditEntries {
  /** Empty strings mean "any". */
  readonly entityType: string;
  readonly entityId: string;
  readonly actor: string;
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly pageSize: number;
  readonly pageToken: string;
}

const MAX_FILTER_LENGTH = 200;

/** Reads the audit trail. Knows nothing of gRPC; throws DomainError. */
export class AuditService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly tokens: PageTokens,
  ) {}

  /** Entries newest first (keyset on create_time, id), filtered by entity, actor and time range. */
  async list(input: ListAuditEntries): Promise<Page<AuditEntry>> {
    const checks = new FieldChecks();
    for (const [value, field] of [
      [input.entityType, 'entity_type'],
      [input.entityId, 'entity_id'],
      [input.actor, 'actor'],
    ] as const) {
      checks.check([...value].length <= MAX_FILTER_LENGTH, field, 'TOO_LONG', `${field} must have at most ${MAX_FILTER_LENGTH} characters`);
    }
    checks.check(
      input.entityId === '' || input.entityType !== '',
      'entity_type',
      'FIELD_REQUIRED',
      'entity_type is required with entity_id',
    );
    checks.check(validTime(input.startTime), 'start_time', 'INVALID_TIME', 'start_time is not a valid time');
    checks.check(validTime(input.endTime), 'end_time', 'INVALID_TIME', 'end_time is not a valid time');
    if (input.startTime && input.endTime && validTime(input.startTime) && validTime(input.endTime)) {
      checks.check(input.startTime < input.endTime, 'end_time', 'INVALID_RANGE', 'end_time must be after start_time');
    }
    const limit = pageSize(input.pageSize, checks);
    checks.throwIfAny();

    const filter: AuditFilter = {
      ...(input.entityType !== '' && { entityType: input.entityType }),
      ...(input.entityId !== '' && { entityId: input.entityId }),
      ...(input.actor !== '' && { actor: input.actor }),
      ...(input.startTime && { startTime: input.startTime }),
      ...(input.endTime && { endTime: input.endTime }),
    };
    const query = `audit_log;${JSON.stringify(filter)};order=create_time desc,id desc`;
    const after = decodeTimeIdToken(this.tokens, input.pageToken, query);
    const rows = await AuditEntryRepository.of(this.em).page(filter, after, limit + 1);
    return timeIdPage(rows, limit, this.tokens, query, (e) => ({ time: e.createTime, id: e.id }));
  }
}

function validTime(time: Date | undefined): boolean {
  return time === undefined || !Number.isNaN(time.getTime());
}
