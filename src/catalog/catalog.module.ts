import { CatalogServiceService } from '../../generated/campus/catalog/v1/catalog.js';
import type { Cache } from '../cache/cache.js';
import type { DomainModule, ModuleContext, ServedServices } from '../domain-module.js';
import type { DomainEvents } from '../events/domain-events.js';
import { catalogHandlers } from './catalog.handler.js';
import { catalogRules } from './catalog.rules.js';
import type { CatalogItemCache } from './catalog-item.cache.js';
import { CatalogItemSchema } from './catalog-item.entity.js';
import { CatalogItemService } from './catalog-item.service.js';
import { LessonSchema } from './lesson.entity.js';
import { LessonService } from './lesson.service.js';
import { LessonsCache } from './lessons.cache.js';

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

/** What the catalog module takes from the composition root. */
export interface CatalogModuleDeps extends ModuleContext {
  readonly cache: Cache;
  /** Made before the module: the authorizer and the asset domain read items through it too. */
  readonly items: CatalogItemCache;
  /** Where lesson writes announce catalog.lessons_changed. */
  readonly events: DomainEvents;
}

/** The catalog: items, their lessons, publishing and search. */
export const catalogModule = {
  definitions: [CatalogServiceService],
  entities: [CatalogItemSchema, LessonSchema],
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    catalog_items: { class: 'reference', why: 'small, read by every call that touches a course, joined with every per-user table' },
    lessons: { class: 'reference', why: 'small; belongs to a catalog item' },
  },
  rules: catalogRules,
  auditActions: CATALOG_AUDIT_ACTIONS,
  start: (deps: CatalogModuleDeps): { readonly services: ServedServices } => {
    const lessonsCache = new LessonsCache(deps.cache, deps.em);
    const items = new CatalogItemService(deps.em, deps.tokens, deps.items, lessonsCache);
    const lessons = new LessonService(deps.em, deps.tokens, { items: deps.items, lessons: lessonsCache }, deps.events);
    return { services: [[CatalogServiceService, catalogHandlers(deps.unary, items, lessons)]] };
  },
} as const satisfies DomainModule;
