import type { EntityManager } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { recordAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { type CatalogItemCache, type CatalogItemData, catalogReads } from '../catalog/catalog.js';
import { transactional } from '../db/transaction.js';
import { enrollmentReads } from '../enrollment/enrollment.js';
import { DomainError, failedPrecondition, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { claimRequest } from '../idempotency/idempotency.js';
import type { Logger } from '../logger.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { decodeTimeIdToken, type Page, timeIdPage } from '../pagination/time-id-keyset.js';
import { FieldChecks } from '../validation/field-checks.js';
import { type Asset, type AssetKindName, AssetSchema, type AssetStateName } from './asset.entity.js';
import { AssetRepository } from './asset.repository.js';
import { type AssetAccess, assetAccess } from './asset-access.js';
import type { AssetMetrics } from './asset-metrics.js';
import type { AssetUrls, DeliveryUrl } from './asset-urls.js';
import { CONTENT_TYPES, objectKeyOf } from './object-key.js';
import type { ObjectStorage, StoredObject, UploadRequest } from './object-storage.js';
import type { PurgeHook } from './purge-hook.js';

/** What CreateAsset declares. */
export interface NewAsset {
  readonly catalogItemId: string;
  /** Empty for an asset of the item itself. */
  readonly lessonId: string;
  readonly kind: AssetKindName | undefined;
  readonly contentType: string;
  readonly sizeBytes: bigint;
  readonly sha256: string;
  readonly requestId: string;
}

export interface ListAssets {
  readonly catalogItemId: string;
  readonly lessonId: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface AssetServiceDeps {
  readonly storage: ObjectStorage;
  readonly urls: AssetUrls;
  readonly items: CatalogItemCache;
  readonly tokens: PageTokens;
  readonly purge: PurgeHook;
  readonly metrics: AssetMetrics;
  readonly log: Logger;
  readonly uploadTtlS: number;
  readonly maxBytes: number;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A lesson page's batch of URLs. */
export const MAX_BATCH_URLS = 1000;

/**
 * Use cases of course assets. Knows nothing of gRPC; throws DomainError.
 * Rows change in one transaction each, with their audit entry; storage and
 * the CDN are called outside it (before, to check an upload; after the
 * commit, to delete an object and purge its URL), so no transaction waits on
 * the network. Who sees what is assetAccess, on the item as read.
 */
export class AssetService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly deps: AssetServiceDeps,
  ) {}

  /** Records a PENDING asset and presigns its upload; a replayed request_id returns the first asset. */
  async create(input: NewAsset, actor: Principal): Promise<{ asset: Asset; upload: UploadRequest }> {
    const checks = new FieldChecks().uuid(input.catalogItemId, 'asset.catalog_item_id');
    if (input.lessonId !== '') checks.uuid(input.lessonId, 'asset.lesson_id');
    checks.uuid(input.requestId, 'request_id');
    checks.check(input.kind !== undefined, 'asset.kind', 'FIELD_REQUIRED', 'asset.kind is required');
    if (input.kind !== undefined) {
      const allowed = Object.keys(CONTENT_TYPES[input.kind]);
      checks.check(
        allowed.includes(input.contentType),
        'asset.content_type',
        'CONTENT_TYPE_NOT_ALLOWED',
        `asset.content_type must be one of ${allowed.join(', ')} for this kind`,
      );
    }
    checks.check(
      input.sizeBytes >= 1n && input.sizeBytes <= BigInt(this.deps.maxBytes),
      'asset.size_bytes',
      'OUT_OF_RANGE',
      `asset.size_bytes must be from 1 to ${this.deps.maxBytes}`,
    );
    checks.check(SHA256.test(input.sha256), 'asset.sha256', 'INVALID_SHA256', 'asset.sha256 must be 64 lower-case hex digits');
    checks.throwIfAny();
    const kind = input.kind as AssetKindName;
    const item = await this.deps.items.get(input.catalogItemId);
    if (!item) throw notFound('CatalogItem', input.catalogItemId);
    requireManage(await assetAccess(actor, item, false, async () => false), 'CatalogItem', input.catalogItemId);
    const asset = await transactional(this.em, async (tx) => {
      const assets = AssetRepository.of(tx);
      const id = uuidv7();
      const request = { ...input, sizeBytes: input.sizeBytes.toString() };
      const { replayOf } = await claimRequest(tx, { operation: 'asset.create', requestId: input.requestId, request, resourceId: id });
      if (replayOf !== undefined) {
        const first = await assets.findById(replayOf);
        if (!first) throw notFound('Asset', replayOf);
        return first;
      }
      const lesson = input.lessonId === '' ? null : await catalogReads(tx).lesson(input.lessonId.toLowerCase());
      if (input.lessonId !== '' && lesson?.catalogItemId !== item.id) throw notFound('Lesson', input.lessonId);
      const now = new Date();
      const created = assets.create({
        id,
        catalogItem: item.id,
        lesson: lesson?.id ?? null,
        kind,
        contentType: input.contentType,
        sizeBytes: input.sizeBytes,
        sha256: input.sha256,
        objectKey: objectKeyOf({ id, sha256: input.sha256, kind, contentType: input.contentType, lessonMaterial: lesson !== null }),
        status: 'pending',
        createTime: now,
        updateTime: now,
      });
      recordAudit(tx, {
        actor: actor.id,
        action: 'asset.created',
        entityId: id,
        diff: {
          catalogItemId: [null, item.id],
          lessonId: [null, lesson?.id ?? null],
          kind: [null, kind],
          contentType: [null, input.contentType],
          sizeBytes: [null, input.sizeBytes.toString()],
          sha256: [null, input.sha256],
        },
      });
      return created;
    });
    const upload = await this.storageCall(() =>
      this.deps.storage.presignPut(asset.objectKey, { contentType: asset.contentType, sha256: asset.sha256 }, this.deps.uploadTtlS),
    );
    this.deps.metrics.urlsIssued('upload');
    return { asset, upload };
  }

  /**
   * Makes a PENDING asset READY once storage holds exactly the declared
   * bytes; anything else leaves it PENDING with FAILED_PRECONDITION.
   */
  async complete(id: string, actor: Principal): Promise<Asset> {
    const { asset, access } = await this.load(id, actor);
    requireManage(access, 'Asset', id);
    if (asset.status === 'ready') return asset;
    if (asset.status === 'deleted') throw assetDeleted(asset);
    const stored = await this.storageCall(() => this.deps.storage.head(asset.objectKey));
    await this.checkUpload(asset, stored);
    const ready = await transactional(this.em, async (tx) => {
      const locked = await AssetRepository.of(tx).findByIdForUpdate(asset.id);
      if (!locked) throw notFound('Asset', id);
      if (locked.status !== 'pending') return locked;
      locked.status = 'ready';
      locked.updateTime = new Date();
      recordAudit(tx, {
        actor: actor.id,
        action: 'asset.completed',
        entityId: locked.id,
        diff: { status: ['pending', 'ready'] },
      });
      return locked;
    });
    if (ready.status === 'deleted') throw assetDeleted(ready);
    return ready;
  }

  /** One asset; PENDING and DELETED ones only to those who manage the item. */
  async get(id: string, viewer: Principal): Promise<Asset> {
    return (await this.load(id, viewer)).asset;
  }

  /** The item's (or a lesson's) assets the caller may see, newest first. */
  async list(query: ListAssets, viewer: Principal): Promise<Page<Asset>> {
    const checks = new FieldChecks().uuid(query.catalogItemId, 'catalog_item_id');
    if (query.lessonId !== '') checks.uuid(query.lessonId, 'lesson_id');
    const size = pageSize(query.pageSize, checks);
    checks.throwIfAny();
    const catalogItemId = query.catalogItemId.toLowerCase();
    const lessonId = query.lessonId.toLowerCase();
    const item = await this.deps.items.get(catalogItemId);
    const access = item ? await assetAccess(viewer, item, false, async () => false) : 'none';
    if (!item || access === 'none') throw notFound('CatalogItem', query.catalogItemId);
    const manage = access === 'manage';
    const seesMaterial = manage || (await this.isLearner(viewer, item));
    if (lessonId !== '') {
      const lesson = await catalogReads(this.em).lesson(lessonId);
      if (!lesson || lesson.catalogItemId !== item.id || !seesMaterial) throw notFound('Lesson', query.lessonId);
    }
    const states: AssetStateName[] = manage ? ['pending', 'ready'] : ['ready'];
    const described = `assets;item=${catalogItemId};lesson=${lessonId};material=${seesMaterial};states=${states.join(',')}`;
    const after = decodeTimeIdToken(this.deps.tokens, query.pageToken, described);
    const rows = await AssetRepository.of(this.em).page(
      { catalogItemId, lessonId: lessonId || undefined, withLessonMaterial: seesMaterial, states },
      after,
      size + 1,
    );
    return timeIdPage(rows, size, this.deps.tokens, described, (a) => ({ time: a.createTime, id: a.id }));
  }

  /** The delivery URL of a READY asset. */
  async url(id: string, viewer: Principal): Promise<DeliveryUrl> {
    const { asset } = await this.load(id, viewer);
    if (asset.status !== 'ready') {
      throw failedPrecondition('ASSET_NOT_READY', {
        type: 'ASSET_STATE',
        subject: `assets/${asset.id}`,
        description: `the asset is ${asset.status.toUpperCase()}; URLs are issued for READY assets only`,
      });
    }
    return this.deps.urls.deliver(asset);
  }

  /** The delivery URLs of a lesson's READY assets, oldest first. */
  async lessonUrls(lessonId: string, viewer: Principal): Promise<DeliveryUrl[]> {
    new FieldChecks().uuid(lessonId, 'lesson_id').throwIfAny();
    const lesson = await catalogReads(this.em).lesson(lessonId.toLowerCase());
    const item = lesson ? await this.deps.items.get(lesson.catalogItemId) : undefined;
    if (!lesson || !item || (await this.accessTo(viewer, item, true)) === 'none') throw notFound('Lesson', lessonId);
    const assets = await AssetRepository.of(this.em).readyOfLesson(lesson.id, MAX_BATCH_URLS);
    const now = new Date();
    return assets.map((asset) => this.deps.urls.deliver(asset, now));
  }

  /**
   * Marks the asset DELETED (from then on no URL is issued), then, after the
   * commit, deletes its object and asks the CDN to purge its URL.
   */
  async delete(id: string, etag: string, actor: Principal): Promise<void> {
    const { asset, access } = await this.load(id, actor);
    requireManage(access, 'Asset', id);
    const deleted = await transactional(this.em, async (tx) => {
      const locked = await AssetRepository.of(tx).findByIdForUpdate(asset.id);
      if (!locked) throw notFound('Asset', id);
      checkEtag(locked.version, etag, `Asset ${locked.id}`);
      if (locked.status === 'deleted') return undefined;
      const before = locked.status;
      locked.status = 'deleted';
      locked.updateTime = new Date();
      recordAudit(tx, {
        actor: actor.id,
        action: 'asset.deleted',
        entityId: locked.id,
        diff: { status: [before, 'deleted'] },
      });
      return locked;
    });
    if (!deleted) return;
    try {
      await this.deps.storage.delete(deleted.objectKey);
    } catch (err) {
      this.deps.log.warn({ err, assetId: deleted.id, key: deleted.objectKey }, 'deleted asset: its object could not be removed');
    }
    await this.deps.purge.purge([this.deps.urls.plain(deleted)]);
  }

  /**
   * Removes PENDING assets recorded before `before` (object first, then the
   * row, audited as `asset.swept`), at most `limit` of them. Returns how many.
   */
  async sweepPending(before: Date, limit: number): Promise<number> {
    const stale = await AssetRepository.of(this.em).stalePending(before, limit);
    let swept = 0;
    for (const asset of stale) {
      try {
        await this.deps.storage.delete(asset.objectKey);
      } catch (err) {
        this.deps.log.warn({ err, assetId: asset.id }, 'pending asset sweep: object not removed; retried on the next run');
        continue;
      }
      const removed = await transactional(this.em, async (tx) => {
        const n = await tx.nativeDelete(AssetSchema, { id: asset.id, status: 'pending' });
        if (n > 0)
          recordAudit(tx, {
            actor: 'system',
            action: 'asset.swept',
            entityId: asset.id,
            diff: { status: ['pending', null] },
          });
        return n;
      });
      swept += removed;
    }
    return swept;
  }

  /** Assets and bytes by state, for the gauges. */
  totals() {
    return AssetRepository.of(this.em).totals();
  }

  /** The asset, if `viewer` may see it in its state; NOT_FOUND otherwise. */
  private async load(id: string, viewer: Principal): Promise<{ asset: Asset; item: CatalogItemData; access: AssetAccess }> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const asset = await AssetRepository.of(this.em).findById(id.toLowerCase());
    const item = asset ? await this.deps.items.get(asset.catalogItem.id) : undefined;
    const access = asset && item ? await this.accessTo(viewer, item, asset.lesson != null) : 'none';
    if (!asset || !item || access === 'none' || (access === 'view' && asset.status !== 'ready')) throw notFound('Asset', id);
    return { asset, item, access };
  }

  private accessTo(viewer: Principal, item: CatalogItemData, lessonMaterial: boolean): Promise<AssetAccess> {
    return assetAccess(viewer, item, lessonMaterial, () => this.isLearner(viewer, item));
  }

  private async isLearner(viewer: Principal, item: CatalogItemData): Promise<boolean> {
    return viewer.kind === 'user' && enrollmentReads(this.em).isEnrolled(viewer.id, item.id);
  }

  /** Compares what storage holds with what was declared; the first difference refuses the upload. */
  private async checkUpload(asset: Asset, stored: StoredObject | undefined): Promise<void> {
    if (!stored) throw uploadRefused(asset, 'OBJECT_MISSING', 'nothing has been uploaded to the asset yet');
    if (stored.sizeBytes !== asset.sizeBytes) {
      throw uploadRefused(asset, 'SIZE_MISMATCH', `the uploaded object has ${stored.sizeBytes} bytes; ${asset.sizeBytes} were declared`);
    }
    const contentType = stored.contentType.split(';')[0]?.trim().toLowerCase();
    if (contentType !== asset.contentType) {
      throw uploadRefused(asset, 'CONTENT_TYPE_MISMATCH', `the uploaded object is ${contentType}; ${asset.contentType} was declared`);
    }
    // Stores that keep no checksum (the embedded one) are read once, here.
    const sha256 = stored.sha256 ?? (await this.storageCall(() => this.deps.storage.sha256Of(asset.objectKey)));
    if (sha256 !== asset.sha256)
      throw uploadRefused(asset, 'CHECKSUM_MISMATCH', 'the SHA-256 of the uploaded bytes is not the declared one');
  }

  /** Storage that fails to answer is UNAVAILABLE (retryable), never INTERNAL. */
  private async storageCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DomainError('UNAVAILABLE', 'STORAGE_UNAVAILABLE', 'object storage did not answer; try again', {}, { cause: err });
    }
  }
}

function requireManage(access: AssetAccess, type: string, id: string): void {
  if (access === 'none') throw notFound(type, id);
  if (access !== 'manage') {
    throw new DomainError(
      'PERMISSION_DENIED',
      'NOT_TEACHER',
      'only the instructor of the catalog item (or an admin) may change its assets',
    );
  }
}

function uploadRefused(asset: Asset, reason: string, description: string): DomainError {
  return failedPrecondition(reason, {
    type: 'UPLOAD',
    subject: `assets/${asset.id}`,
    description: `${description}; the asset stays PENDING`,
  });
}

function assetDeleted(asset: Asset): DomainError {
  return failedPrecondition('ASSET_DELETED', { type: 'ASSET_STATE', subject: `assets/${asset.id}`, description: 'the asset was deleted' });
}
