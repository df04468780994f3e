import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { CatalogItemSchema } from '../catalog/catalog-item.entity.js';
import { LessonSchema } from '../catalog/lesson.entity.js';

export const ASSET_KINDS = ['image', 'video', 'document', 'other'] as const;
export type AssetKindName = (typeof ASSET_KINDS)[number];
export const ASSET_STATES = ['pending', 'ready', 'deleted'] as const;
export type AssetStateName = (typeof ASSET_STATES)[number];

/**
 * A file of a catalog item, in object storage under `objectKey`. The key
 * holds the declared SHA-256, so it never names other bytes: a new file is a
 * new asset with a new key, and no CDN cache ever has to be purged for
 * correctness. Rows of a deleted item or lesson go with it (cascade).
 */
export const AssetSchema = defineEntity({
  name: 'Asset',
  tableName: 'assets',
  properties: {
    id: p.uuid().primary(),
    catalogItem: () => p.manyToOne(CatalogItemSchema).deleteRule('cascade'),
    /** Lesson material when set; an asset of the item itself (a cover) when null. */
    lesson: () => p.manyToOne(LessonSchema).nullable().deleteRule('cascade'),
    kind: p.enum(ASSET_KINDS),
    contentType: p.text(),
    sizeBytes: p.bigint(),
    sha256: p.string().length(64),
    objectKey: p.text().unique('assets_object_key_unique'),
    status: p.enum(ASSET_STATES),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    version: p.integer().version(),
  },
  checks: [
    { name: 'assets_size_bytes_check', expression: 'size_bytes > 0' },
    { name: 'assets_sha256_check', expression: "sha256 ~ '^[0-9a-f]{64}$'" },
  ],
  indexes: [
    // Keyset pages of ListAssets, newest first: by item, by lesson.
    { name: 'assets_catalog_item_create_time_idx', properties: ['catalogItem', 'createTime', 'id'] },
    { name: 'assets_lesson_create_time_idx', properties: ['lesson', 'createTime', 'id'] },
    // The PENDING sweep and the gauges by status.
    { name: 'assets_status_create_time_idx', properties: ['status', 'createTime'] },
  ],
});

export type Asset = InferEntity<typeof AssetSchema>;
