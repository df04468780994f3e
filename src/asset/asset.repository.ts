import { type EntityManager, LockMode } from '@mikro-orm/core';
import { EntityRepository, type EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { rawQuery } from '../db/raw-query.js';
import type { TimeIdPosition } from '../pagination/time-id-keyset.js';
import { type Asset, AssetSchema, type AssetStateName } from './asset.entity.js';

/** Which assets of an item a list shows. */
export interface AssetFilter {
  readonly catalogItemId: string;
  /** Only this lesson's material. */
  readonly lessonId: string | undefined;
  /** Whether lesson material is shown at all (the caller may see it). */
  readonly withLessonMaterial: boolean;
  readonly states: readonly AssetStateName[];
}

/** The queries of assets; every list is served by an index of assets.entity.ts. */
export class AssetRepository extends EntityRepository<Asset> {
  /** The Asset repository of `em` (the request's unit of work, or a transaction's). */
  static of(em: EntityManager): AssetRepository {
    return new AssetRepository(em as SqlEntityManager, AssetSchema);
  }

  async findById(id: string): Promise<Asset | null> {
    return this.findOne({ id });
  }

  /** Reads the asset afresh and locks its row until the transaction ends. */
  async findByIdForUpdate(id: string): Promise<Asset | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  }

  /** One keyset page, newest first (assets_catalog_item_create_time_idx or assets_lesson_create_time_idx). */
  async page(filter: AssetFilter, after: TimeIdPosition | undefined, limit: number): Promise<Asset[]> {
    const qb = this.createQueryBuilder('a')
      .select('*')
      .where({ catalogItem: filter.catalogItemId, status: { $in: [...filter.states] } });
    if (filter.lessonId) qb.andWhere({ lesson: filter.lessonId });
    else if (!filter.withLessonMaterial) qb.andWhere({ lesson: null });
    if (after) qb.andWhere('(a.create_time, a.id) < (?, ?)', [after.time, after.id]);
    return qb.orderBy({ createTime: 'desc', id: 'desc' }).limit(limit).getResultList();
  }

  /** A lesson's READY assets, oldest first (assets_lesson_create_time_idx). */
  async readyOfLesson(lessonId: string, limit: number): Promise<Asset[]> {
    return this.find({ lesson: lessonId, status: 'ready' }, { orderBy: { createTime: 'asc', id: 'asc' }, limit });
  }

  /** PENDING assets recorded before `before`, oldest first (assets_status_create_time_idx). */
  async stalePending(before: Date, limit: number): Promise<Asset[]> {
    return this.find({ status: 'pending', createTime: { $lt: before } }, { orderBy: { createTime: 'asc' }, limit });
  }

  /** Assets and their bytes by status. */
  async totals(): Promise<{ status: AssetStateName; count: number; bytes: number }[]> {
    const rows = await rawQuery<{ status: AssetStateName; count: string; bytes: string }>(
      this.getEntityManager(),
      'select status, count(*) as count, coalesce(sum(size_bytes), 0) as bytes from assets group by status',
      [],
    );
    return rows.map((r) => ({ status: r.status, count: Number(r.count), bytes: Number(r.bytes) }));
  }
}
