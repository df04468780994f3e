import type { EntityManager } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import type { TimeIdPosition } from '../pagination/time-id-keyset.js';
import { type AuditEntry, AuditEntrySchema } from './audit-entry.entity.js';

/** Which entries to list; every set field narrows the list (AND). */
export interface AuditFilter {
  readonly entityType?: string;
  readonly entityId?: string;
  readonly actor?: string;
  /** Inclusive. */
  readonly startTime?: Date;
  /** Exclusive. */
  readonly endTime?: Date;
}

export class AuditEntryRepository extends EntityRepository<AuditEntry> {
  /** The AuditEntry repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): AuditEntryRepository {
    return new AuditEntryRepository(em as SqlEntityManager, AuditEntrySchema);
  }

  /**
   * One keyset page, newest first; `limit` rows at most. Each filter has an
   * index ending in (create_time, id), so a page is one index range scan.
   */
  async page(filter: AuditFilter, after: TimeIdPosition | undefined, limit: number): Promise<AuditEntry[]> {
    const qb = this.createQueryBuilder('a').select('*').where({});
    if (filter.entityType !== undefined) qb.andWhere({ entityType: filter.entityType });
    if (filter.entityId !== undefined) qb.andWhere({ entityId: filter.entityId });
    if (filter.actor !== undefined) qb.andWhere({ actor: filter.actor });
    if (filter.startTime !== undefined) qb.andWhere({ createTime: { $gte: filter.startTime } });
    if (filter.endTime !== undefined) qb.andWhere({ createTime: { $lt: filter.endTime } });
    if (after) qb.andWhere('(a.create_time, a.id) < (?, ?)', [after.time, after.id]);
    return qb.orderBy({ createTime: 'desc', id: 'desc' }).limit(limit).getResultList();
  }
}
