import { CatalogServiceService } from '../../generated/campus/catalog/v1/catalog.js';
import type { DomainModule } from '../domain-module.js';
import { catalogRules } from './catalog.rules.js';
import { CatalogItemSchema } from './catalog-item.entity.js';
import { LessonSchema } from './lesson.entity.js';

/** What the catalog domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const CATALOG_AUDIT_ACTIONS = {
  'catalog_item.created': 'CreateCatalogItem',
  'catalog_item.updated': 'UpdateCatalogItem',
  'catalog_item.deleted': 'DeleteCatalogItem',
  'catalog_item.published': 'PublishCatalogItem',
  'catalog_item.unpublished': 'UnpublishCatalogItem',
  'lesson.created': 'CreateLesson',
  'lesson.updated': 'UpdateLesson',
  'lesson.deleted': 'DeleteLesson',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof CATALOG_AUDIT_ACTIONS, string> {}
}

/** The catalog: items, their lessons, publishing and search. */
export const catalogModule = {
  definitions: [CatalogServiceService],
  entities: [CatalogItemSchema, LessonSchema],
  rules: catalogRules,
  auditActions: CATALOG_AUDIT_ACTIONS,
} as const satisfies DomainModule;
