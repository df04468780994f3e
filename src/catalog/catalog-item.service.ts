import type { EntityManager } from '@mikro-orm/core';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { diffOf, recordAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { transactional } from '../db/transaction.js';
import { failedPrecondition, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { identityReads } from '../identity/identity.js';
import { UserSchema } from '../identity/user.entity.js';
import { keysetPage, malformedPageToken, type Page } from '../pagination/keyset-page.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { FieldChecks } from '../validation/field-checks.js';
import { fieldsToUpdate } from '../validation/field-mask.js';
import { checkMoney, type Money } from '../validation/money.js';
import { mayViewCatalogItem } from './catalog.rules.js';
import type { CatalogItemCache } from './catalog-item.cache.js';
import type { CatalogItem, CatalogItemData } from './catalog-item.entity.js';
import type { CatalogItemCursor, CatalogItemSortKey, SearchCursor } from './catalog-item.repository.js';
import { CatalogItemRepository } from './catalog-item.repository.js';
import { parseCatalogItemOrder } from './catalog-item-order.js';
import { LessonRepository } from './lesson.repository.js';
import type { LessonsCache } from './lessons.cache.js';

/** The fields a caller sets on a catalog item. */
export interface CatalogItemFields {
  readonly title: string;
  readonly description: string;
  readonly price: Money | undefined;
  /** The teaching user's id; empty for none. */
  readonly instructorId: string;
}

export const UPDATABLE_CATALOG_ITEM_FIELDS = ['title', 'description', 'price', 'instructor_id'] as const;
type UpdatableField = (typeof UPDATABLE_CATALOG_ITEM_FIELDS)[number];

export interface UpdateCatalogItem {
  readonly id: string;
  /** The etag the caller read; empty skips the check. */
  readonly etag: string;
  readonly fields: CatalogItemFields;
  /** Field paths to change (see fieldsToUpdate); empty means the fields set. */
  readonly updateMask: readonly string[] | undefined;
}

export interface ListCatalogItems {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly published: boolean | undefined;
  /** Empty for every instructor. */
  readonly instructorId: string;
  readonly orderBy: string;
}

export interface SearchCatalogItems {
  readonly query: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

export const TITLE_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 10_000;
export const BATCH_GET_MAX_IDS = 1000;
export const SEARCH_QUERY_MAX_LENGTH = 1000;

const AUDITED_FIELDS = ['title', 'description', 'priceAmount', 'currency', 'instructorId', 'published'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Use cases of catalog items. Knows nothing of gRPC; throws DomainError. Get
 * and BatchGet read through the item cache and decide visibility on what it
 * returns; every write is one method here and one transaction, with its audit
 * entry inside it, and invalidates what it changed once it has committed.
 */
export class CatalogItemService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly tokens: PageTokens,
    private readonly cache: CatalogItemCache,
    private readonly lessonsCache: LessonsCache,
  ) {}

  private get items() {
    return CatalogItemRepository.of(this.em);
  }

  /**
   * Creates an unpublished item. An instructor who names no instructor
   * becomes the item's instructor; an admin or a service naming none leaves it
   * without one.
   */
  async create(fields: CatalogItemFields, actor: Principal): Promise<CatalogItem> {
    const checks = new FieldChecks();
    checkFields(checks, fields, new Set(UPDATABLE_CATALOG_ITEM_FIELDS));
    checks.throwIfAny();
    const price = fields.price as Money;
    const teachesIt = actor.kind === 'user' && actor.role === 'instructor';
    const instructorId = fields.instructorId !== '' ? fields.instructorId.toLowerCase() : teachesIt ? actor.id : null;
    const created = await transactional(this.em, async (tx) => {
      if (instructorId !== null) await assertCanTeach(tx, instructorId);
      const now = new Date();
      const item = CatalogItemRepository.of(tx).create({
        id: uuidv7(),
        title: fields.title.trim(),
        description: fields.description.trim(),
        priceAmount: price.amountMinor,
        currency: price.currencyCode,
        published: false,
        instructor: instructorId,
        createTime: now,
        updateTime: now,
      });
      recordAudit(tx, {
        actor: actor.id,
        action: 'catalog_item.created',
        entityId: item.id,
        diff: diffOf({}, auditView(item), AUDITED_FIELDS),
      });
      return item;
    });
    // A NOT_FOUND of this id may be cached, of the item and of its lessons (ids are guessable only in theory; being sure is cheap).
    await this.afterCommit(created.id, true);
    return created;
  }

  /** The item, if `viewer` may see it (see mayViewCatalogItem); NOT_FOUND otherwise. */
  async get(id: string, viewer: Principal): Promise<CatalogItemData> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const item = await this.cache.get(id);
    if (!item || !mayViewCatalogItem(viewer, item)) throw notFound('CatalogItem', id);
    return item;
  }

  /**
   * AIP-231: every item asked for, in the order asked for, or NOT_FOUND naming
   * the first one that is missing or that `viewer` may not see.
   */
  async batchGet(ids: readonly string[], viewer: Principal): Promise<CatalogItemData[]> {
    const checks = new FieldChecks();
    checks.check(ids.length <= BATCH_GET_MAX_IDS, 'ids', 'TOO_MANY_IDS', `ids must hold at most ${BATCH_GET_MAX_IDS} ids`);
    ids.forEach((id, i) => {
      checks.uuid(id, `ids[${i}]`);
    });
    checks.throwIfAny();
    const byId = await this.cache.getMany(ids);
    return ids.map((id) => {
      const item = byId.get(id.toLowerCase());
      if (!item || !mayViewCatalogItem(viewer, item)) throw notFound('CatalogItem', id);
      return item;
    });
  }

  async list(query: ListCatalogItems): Promise<Page<CatalogItemData>> {
    const checks = new FieldChecks();
    const size = pageSize(query.pageSize, checks);
    const order = parseCatalogItemOrder(query.orderBy, checks);
    if (query.instructorId !== '') checks.uuid(query.instructorId, 'instructor_id');
    checks.throwIfAny();
    const instructorId = query.instructorId === '' ? undefined : query.instructorId.toLowerCase();
    const described = `catalog_items.list published=${query.published ?? '*'} instructor=${instructorId ?? '*'} order=${order.sort} ${order.direction}`;
    const position = this.tokens.decode(query.pageToken, described);
    const rows = await this.items.readPage({
      published: query.published,
      instructorId,
      sort: order.sort,
      direction: order.direction,
      after: position === undefined ? undefined : listCursor(position, order.sort),
      limit: size + 1,
    });
    return keysetPage(rows, size, this.tokens, described, (item) => [sortKeyOf(item, order.sort), item.id]);
  }

  /** Changes the masked fields; a stale etag fails with ABORTED before anything changes. */
  async update(input: UpdateCatalogItem, actor: Principal): Promise<CatalogItem> {
    const checks = new FieldChecks();
    checks.uuid(input.id, 'catalog_item.id');
    const { fields: given } = input;
    const mask = fieldsToUpdate(
      input.updateMask,
      {
        title: given.title !== '',
        description: given.description !== '',
        price: given.price !== undefined,
        instructor_id: given.instructorId !== '',
      } satisfies Record<UpdatableField, boolean>,
      checks,
    );
    checkFields(checks, input.fields, mask);
    checks.throwIfAny();
    const updated = await transactional(this.em, async (tx) => {
      const item = await CatalogItemRepository.of(tx).findById(input.id);
      if (!item) throw notFound('CatalogItem', input.id);
      checkEtag(item.version, input.etag, `CatalogItem ${item.id}`);
      const before = auditView(item);
      const { fields } = input;
      if (mask.has('title')) item.title = fields.title.trim();
      if (mask.has('description')) item.description = fields.description.trim();
      if (mask.has('price') && fields.price) {
        item.priceAmount = fields.price.amountMinor;
        item.currency = fields.price.currencyCode;
      }
      if (mask.has('instructor_id')) {
        const instructorId = fields.instructorId === '' ? null : fields.instructorId.toLowerCase();
        if (instructorId !== before.instructorId) {
          if (instructorId !== null) await assertCanTeach(tx, instructorId);
          item.instructor = instructorId === null ? null : tx.getReference(UserSchema, instructorId);
        }
      }
      const diff = diffOf(before, auditView(item), AUDITED_FIELDS);
      if (Object.keys(diff).length > 0) {
        item.updateTime = new Date();
        recordAudit(tx, { actor: actor.id, action: 'catalog_item.updated', entityId: item.id, diff });
      }
      return item;
    });
    await this.afterCommit(updated.id);
    return updated;
  }

  /** Deletes the item and its lessons; refused while any enrollment refers to it. */
  async delete(id: string, etag: string, actor: Principal): Promise<void> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    try {
      await transactional(this.em, async (tx) => {
        const items = CatalogItemRepository.of(tx);
        // The row lock makes a concurrent enrollment wait for this decision.
        const item = await items.findByIdForUpdate(id);
        if (!item) throw notFound('CatalogItem', id);
        checkEtag(item.version, etag, `CatalogItem ${item.id}`);
        recordAudit(tx, {
          actor: actor.id,
          action: 'catalog_item.deleted',
          entityId: item.id,
          diff: diffOf(auditView(item), {}, AUDITED_FIELDS),
        });
        tx.remove(item);
      });
    } catch (err) {
      // Enrollments and progress are another domain's rows: their RESTRICT foreign keys refuse the delete,
      // and the whole transaction (audit entry included) rolls back.
      if (err instanceof ForeignKeyConstraintViolationException) throw hasEnrollments(id);
      throw err;
    }
    // Its lessons went with it (ON DELETE CASCADE).
    await this.afterCommit(id, true);
  }

  /** Puts the item on sale; it needs at least one lesson. Publishing a published item changes nothing. */
  async publish(id: string, actor: Principal): Promise<CatalogItem> {
    return this.setPublished(id, true, actor);
  }

  /** Withdraws the item from sale. Unpublishing an unpublished item changes nothing. */
  async unpublish(id: string, actor: Principal): Promise<CatalogItem> {
    return this.setPublished(id, false, actor);
  }

  private async setPublished(id: string, published: boolean, actor: Principal): Promise<CatalogItem> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    const item = await transactional(this.em, async (tx) => {
      // Locked so that the last lesson cannot be deleted while this decides (see LessonService.delete).
      const item = await CatalogItemRepository.of(tx).findByIdForUpdate(id);
      if (!item) throw notFound('CatalogItem', id);
      if (item.published === published) return item;
      if (published && (await LessonRepository.of(tx).countByCatalogItem(item.id)) === 0) {
        throw failedPrecondition('CATALOG_ITEM_HAS_NO_LESSONS', {
          type: 'LESSONS',
          subject: `catalog_items/${item.id}`,
          description: 'a catalog item needs at least one lesson to be published',
        });
      }
      item.published = published;
      item.updateTime = new Date();
      recordAudit(tx, {
        actor: actor.id,
        action: published ? 'catalog_item.published' : 'catalog_item.unpublished',
        entityId: item.id,
        diff: { published: [!published, published] },
      });
      return item;
    });
    await this.afterCommit(item.id);
    return item;
  }

  /**
   * After a write to an item has committed (never before, never inside the
   * transaction): its cached copy, and its cached lessons when they changed
   * with it, are dropped, so the next read loads what was committed. Never throws.
   */
  private async afterCommit(id: string, lessonsToo = false): Promise<void> {
    await Promise.all([this.cache.invalidate([id]), lessonsToo ? this.lessonsCache.invalidate([id]) : undefined]);
  }

  /** Full-text search over published items, best match first. */
  async search(input: SearchCatalogItems): Promise<Page<CatalogItem>> {
    const checks = new FieldChecks().text(input.query, 'query', { max: SEARCH_QUERY_MAX_LENGTH });
    const size = pageSize(input.pageSize, checks);
    checks.throwIfAny();
    const described = `catalog_items.search ${JSON.stringify(input.query)}`;
    const position = this.tokens.decode(input.pageToken, described);
    const hits = await this.items.search(input.query, position === undefined ? undefined : searchCursor(position), size + 1);
    const page = keysetPage(hits, size, this.tokens, described, (hit) => [hit.rank, hit.item.id]);
    return { items: page.items.map((hit) => hit.item), nextPageToken: page.nextPageToken };
  }
}

/** Checks the fields named in `which`, with their request paths under `catalog_item`. */
function checkFields(checks: FieldChecks, fields: CatalogItemFields, which: ReadonlySet<UpdatableField>): void {
  if (which.has('title')) checks.text(fields.title, 'catalog_item.title', { max: TITLE_MAX_LENGTH });
  if (which.has('description')) checks.text(fields.description, 'catalog_item.description', { min: 0, max: DESCRIPTION_MAX_LENGTH });
  if (which.has('price')) checkMoney(checks, fields.price, 'catalog_item.price');
  if (which.has('instructor_id') && fields.instructorId !== '') checks.uuid(fields.instructorId, 'catalog_item.instructor_id');
}

/** Only an existing, not deleted instructor or admin may teach an item. */
async function assertCanTeach(tx: EntityManager, userId: string): Promise<void> {
  const role = await identityReads(tx).liveRoleOf(userId);
  if (role === undefined) throw notFound('User', userId);
  if (role === 'student') {
    throw failedPrecondition('NOT_AN_INSTRUCTOR', {
      type: 'INSTRUCTOR',
      subject: `users/${userId}`,
      description: 'catalog_item.instructor_id must name an instructor or an admin',
    });
  }
}

function hasEnrollments(id: string) {
  return failedPrecondition('CATALOG_ITEM_HAS_ENROLLMENTS', {
    type: 'ENROLLMENTS',
    subject: `catalog_items/${id}`,
    description: 'a catalog item that has enrollments cannot be deleted; unpublish it instead',
  });
}

/** The audited view of an item: plain values, the instructor as an id. */
function auditView(item: CatalogItem) {
  return {
    title: item.title,
    description: item.description,
    priceAmount: item.priceAmount,
    currency: item.currency,
    instructorId: item.instructor?.id ?? null,
    published: item.published,
  };
}

function sortKeyOf(item: CatalogItemData, sort: CatalogItemSortKey): string {
  switch (sort) {
    case 'createTime':
      return item.createTime.toISOString();
    case 'title':
      return item.title;
    case 'priceAmount':
      return item.priceAmount.toString();
  }
}

/** The cursor in a (signed) list token; a shape that does not fit the order is refused. */
function listCursor(position: readonly unknown[], sort: CatalogItemSortKey): CatalogItemCursor {
  const [key, id] = position;
  if (position.length === 2 && typeof key === 'string' && typeof id === 'string' && UUID.test(id)) {
    if (sort === 'title') return { key, id };
    if (sort === 'priceAmount' && /^\d+$/.test(key)) return { key: BigInt(key), id };
    if (sort === 'createTime' && !Number.isNaN(Date.parse(key))) return { key: new Date(key), id };
  }
  throw malformedPageToken();
}

function searchCursor(position: readonly unknown[]): SearchCursor {
  const [rank, id] = position;
  if (position.length === 2 && typeof rank === 'number' && Number.isFinite(rank) && typeof id === 'string' && UUID.test(id)) {
    return { rank, id };
  }
  throw malformedPageToken();
}
