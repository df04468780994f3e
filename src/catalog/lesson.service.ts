import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { diffOf, recordAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { transactional } from '../db/transaction.js';
import { alreadyExists, failedPrecondition, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import type { DomainEvents } from '../events/domain-events.js';
import { keysetPage, malformedPageToken, type Page } from '../pagination/keyset-page.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { FieldChecks } from '../validation/field-checks.js';
import { fieldsToUpdate } from '../validation/field-mask.js';
import { mayViewCatalogItem } from './catalog.rules.js';
import type { CatalogItemCache } from './catalog-item.cache.js';
import { CatalogItemRepository } from './catalog-item.repository.js';
import { type Lesson, type LessonData, lessonData } from './lesson.entity.js';
import { LessonRepository } from './lesson.repository.js';
import type { LessonsCache } from './lessons.cache.js';

/** The fields a caller sets on a lesson. */
export interface LessonFields {
  readonly title: string;
  readonly position: number;
}

export const UPDATABLE_LESSON_FIELDS = ['title', 'position'] as const;
type UpdatableField = (typeof UPDATABLE_LESSON_FIELDS)[number];

export interface UpdateLesson {
  readonly id: string;
  /** The etag the caller read; empty skips the check. */
  readonly etag: string;
  readonly fields: LessonFields;
  /** Field paths to change (see fieldsToUpdate); empty means the fields set. */
  readonly updateMask: readonly string[] | undefined;
}

export interface ListLessons {
  readonly catalogItemId: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

export const LESSON_TITLE_MAX_LENGTH = 200;
const AUDITED_FIELDS = ['title', 'position'] as const;

/** The caches of the catalog a lesson write reads or changes. */
export interface LessonCaches {
  readonly items: CatalogItemCache;
  readonly lessons: LessonsCache;
}

/**
 * Use cases of the lessons of a catalog item. Knows nothing of gRPC; throws
 * DomainError. Every write is one method here and one transaction, with its
 * audit entry inside it; once it has committed, the item's cached lessons
 * are invalidated and `catalog.lessons_changed` is announced (a lesson added
 * or removed changes every learner's total and percent: the enrollment
 * domain's progress cache listens).
 */
export class LessonService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly tokens: PageTokens,
    private readonly caches: LessonCaches,
    private readonly events: DomainEvents,
  ) {}

  /** Adds a lesson at a free position of an existing item. */
  async create(catalogItemId: string, fields: LessonFields, actor: Principal): Promise<Lesson> {
    const checks = new FieldChecks().uuid(catalogItemId, 'catalog_item_id');
    checkFields(checks, fields, new Set(UPDATABLE_LESSON_FIELDS));
    checks.throwIfAny();
    const created = await positionClash(fields.position, () =>
      transactional(this.em, async (tx) => {
        const item = await CatalogItemRepository.of(tx).findById(catalogItemId);
        if (!item) throw notFound('CatalogItem', catalogItemId);
        const lessons = LessonRepository.of(tx);
        await lessons.checkPositionsImmediately();
        if (await lessons.findByPosition(item.id, fields.position)) throw positionTaken(fields.position);
        const now = new Date();
        const lesson = lessons.create({
          id: uuidv7(),
          catalogItem: item,
          title: fields.title.trim(),
          position: fields.position,
          createTime: now,
          updateTime: now,
        });
        recordAudit(tx, {
          actor: actor.id,
          action: 'lesson.created',
          entityId: lesson.id,
          diff: { catalogItemId: [null, item.id], ...diffOf({}, lesson, AUDITED_FIELDS) },
        });
        return lesson;
      }),
    );
    await this.afterCommit(created.catalogItem.id);
    return created;
  }

  /**
   * The item's lessons by position; NOT_FOUND when the item does not exist or
   * `viewer` may not see it (see mayViewCatalogItem). The item and its cached
   * first lessons are read together; a page past them comes from PostgreSQL.
   */
  async list(query: ListLessons, viewer: Principal): Promise<Page<LessonData>> {
    const checks = new FieldChecks().uuid(query.catalogItemId, 'catalog_item_id');
    const size = pageSize(query.pageSize, checks);
    checks.throwIfAny();
    const catalogItemId = query.catalogItemId.toLowerCase();
    const described = `lessons.list catalog_item=${catalogItemId}`;
    const position = this.tokens.decode(query.pageToken, described);
    const after = position === undefined ? 0 : positionCursor(position);
    const [item, cached] = await Promise.all([this.caches.items.get(catalogItemId), this.caches.lessons.get(catalogItemId)]);
    if (!item || !mayViewCatalogItem(viewer, item)) throw notFound('CatalogItem', query.catalogItemId);
    const fromCache = cached?.lessons.filter((lesson) => lesson.position > after).slice(0, size + 1);
    const rows =
      fromCache !== undefined && (cached?.complete || fromCache.length > size)
        ? fromCache
        : (await LessonRepository.of(this.em).listByCatalogItem(catalogItemId, after, size + 1)).map(lessonData);
    return keysetPage(rows, size, this.tokens, described, (lesson) => [lesson.position]);
  }

  /** Changes the masked fields; a stale etag fails with ABORTED before anything changes. */
  async update(input: UpdateLesson, actor: Principal): Promise<Lesson> {
    const checks = new FieldChecks().uuid(input.id, 'lesson.id');
    const populated = { title: input.fields.title !== '', position: input.fields.position !== 0 } satisfies Record<UpdatableField, boolean>;
    const mask = fieldsToUpdate(input.updateMask, populated, checks);
    checkFields(checks, input.fields, mask);
    checks.throwIfAny();
    const updated = await positionClash(input.fields.position, () =>
      transactional(this.em, async (tx) => {
        const lessons = LessonRepository.of(tx);
        const lesson = await lessons.findById(input.id);
        if (!lesson) throw notFound('Lesson', input.id);
        checkEtag(lesson.version, input.etag, `Lesson ${lesson.id}`);
        const before = { title: lesson.title, position: lesson.position };
        if (mask.has('title')) lesson.title = input.fields.title.trim();
        if (mask.has('position') && input.fields.position !== lesson.position) {
          await lessons.checkPositionsImmediately();
          if (await lessons.findByPosition(lesson.catalogItem.id, input.fields.position)) throw positionTaken(input.fields.position);
          lesson.position = input.fields.position;
        }
        const diff = diffOf(before, lesson, AUDITED_FIELDS);
        if (Object.keys(diff).length > 0) {
          lesson.updateTime = new Date();
          recordAudit(tx, { actor: actor.id, action: 'lesson.updated', entityId: lesson.id, diff });
        }
        return lesson;
      }),
    );
    // A new position reorders the item's lessons and its learners' completed ids.
    await this.afterCommit(updated.catalogItem.id);
    return updated;
  }

  /** Deletes a lesson, unless it is the only lesson of a published item. */
  async delete(id: string, etag: string, actor: Principal): Promise<void> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const catalogItemId = await transactional(this.em, async (tx) => {
      const lessons = LessonRepository.of(tx);
      const found = await lessons.findById(id);
      if (!found) throw notFound('Lesson', id);
      // Item first, then lesson: the order PublishCatalogItem and DeleteCatalogItem lock in.
      const item = await CatalogItemRepository.of(tx).findByIdForUpdate(found.catalogItem.id);
      const lesson = await lessons.findByIdForUpdate(id);
      if (!item || !lesson) throw notFound('Lesson', id);
      checkEtag(lesson.version, etag, `Lesson ${lesson.id}`);
      if (item.published && (await lessons.countByCatalogItem(item.id)) <= 1) {
        throw failedPrecondition('LAST_LESSON_OF_PUBLISHED_ITEM', {
          type: 'LESSONS',
          subject: `catalog_items/${item.id}`,
          description: 'the last lesson of a published catalog item cannot be deleted; unpublish the item first',
        });
      }
      recordAudit(tx, {
        actor: actor.id,
        action: 'lesson.deleted',
        entityId: lesson.id,
        diff: { catalogItemId: [item.id, null], ...diffOf(lesson, {}, AUDITED_FIELDS) },
      });
      tx.remove(lesson);
      return item.id;
    });
    await this.afterCommit(catalogItemId);
  }

  /** After a lesson write has committed (never before, never inside the transaction). Never throws. */
  private async afterCommit(catalogItemId: string): Promise<void> {
    await Promise.all([this.caches.lessons.invalidate([catalogItemId]), this.events.emit('catalog.lessons_changed', { catalogItemId })]);
  }
}

function checkFields(checks: FieldChecks, fields: LessonFields, which: ReadonlySet<UpdatableField>): void {
  if (which.has('title')) checks.text(fields.title, 'lesson.title', { max: LESSON_TITLE_MAX_LENGTH });
  if (which.has('position')) {
    checks.check(
      Number.isInteger(fields.position) && fields.position >= 1,
      'lesson.position',
      'OUT_OF_RANGE',
      'lesson.position must be 1 or more',
    );
  }
}

/** Two writers racing for one position: the unique index decides, the loser hears ALREADY_EXISTS. */
async function positionClash<T>(position: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw positionTaken(position);
    throw err;
  }
}

function positionTaken(position: number) {
  return alreadyExists('Lesson', 'LESSON_POSITION_TAKEN', `the catalog item already has a lesson at position ${position}`);
}

function positionCursor(position: readonly unknown[]): number {
  const [last] = position;
  if (position.length === 1 && typeof last === 'number' && Number.isInteger(last) && last >= 0) return last;
  throw malformedPageToken();
}
