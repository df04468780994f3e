import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { CatalogItemSchema } from '../catalog/catalog-item.entity.js';
import { UserSchema } from '../identity/user.entity.js';

export const ENROLLMENT_STATUSES = ['active', 'completed', 'cancelled'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

/** A user's access to a catalog item; one per (user, item). Keyed by (user_id, id). */
export const EnrollmentSchema = defineEntity({
  name: 'Enrollment',
  tableName: 'enrollments',
  properties: {
    /** The distribution column (docs/scaling.md, Sharding): first in the key, so a user's rows share a shard. */
    user: () => p.manyToOne(UserSchema).deleteRule('restrict').primary(),
    /** Unique on its own by construction (UUIDv7 made by the service); the database holds (user_id, id) unique. */
    id: p.uuid().primary(),
    catalogItem: () => p.manyToOne(CatalogItemSchema).deleteRule('restrict'),
    status: p.enum(ENROLLMENT_STATUSES),
    enrolledAt: p.datetime(),
    completedAt: p.datetime().nullable(),
    cancelledAt: p.datetime().nullable(),
    version: p.integer().version(),
  },
  uniques: [{ name: 'enrollments_user_catalog_item_unique', properties: ['user', 'catalogItem'] }],
  indexes: [
    // Lookups by id alone (Get, the access rules): on one server an index probe; on Citus one probe per shard.
    { name: 'enrollments_id_idx', properties: ['id'] },
    { name: 'enrollments_user_enrolled_at_idx', properties: ['user', 'enrolledAt', 'id'] },
    { name: 'enrollments_catalog_item_enrolled_at_idx', properties: ['catalogItem', 'enrolledAt', 'id'] },
  ],
});

export type Enrollment = InferEntity<typeof EnrollmentSchema>;
