import type {
  CatalogItem as CatalogItemMessage,
  CatalogServiceServer,
  Lesson as LessonMessage,
} from '../../generated/campus/catalog/v1/catalog.js';
import { etagOf } from '../errors/etag.js';
import { sharedResponse } from '../server/shared-responses.js';
import type { Unary } from '../server/unary.js';
import type { CatalogItemData } from './catalog-item.entity.js';
import type { CatalogItemFields, CatalogItemService } from './catalog-item.service.js';
import type { LessonData } from './lesson.entity.js';
import type { LessonFields, LessonService } from './lesson.service.js';

/** campus.catalog.v1.CatalogService: proto in, use case, proto out. */
export function catalogHandlers(unary: Unary, items: CatalogItemService, lessons: LessonService): CatalogServiceServer {
  return {
    createCatalogItem: unary(async (req, ctx) =>
      toCatalogItemMessage(await items.create(catalogItemFields(req.catalogItem), ctx.principal)),
    ),
    getCatalogItem: unary(async (req, ctx) => sharedResponse(await items.get(req.id, ctx.principal), toCatalogItemMessage)),
    batchGetCatalogItems: unary(async (req, ctx) => ({
      catalogItems: (await items.batchGet(req.ids, ctx.principal)).map(toCatalogItemMessage),
    })),
    listCatalogItems: unary(async (req) => {
      const page = await items.list({
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        published: req.published,
        instructorId: req.instructorId,
        orderBy: req.orderBy,
      });
      return { catalogItems: page.items.map(toCatalogItemMessage), nextPageToken: page.nextPageToken };
    }),
    updateCatalogItem: unary(async (req, ctx) =>
      toCatalogItemMessage(
        await items.update(
          {
            id: req.catalogItem?.id ?? '',
            etag: req.catalogItem?.etag ?? '',
            fields: catalogItemFields(req.catalogItem),
            updateMask: req.updateMask,
          },
          ctx.principal,
        ),
      ),
    ),
    deleteCatalogItem: unary(async (req, ctx) => {
      await items.delete(req.id, req.etag, ctx.principal);
      return {};
    }),
    publishCatalogItem: unary(async (req, ctx) => toCatalogItemMessage(await items.publish(req.id, ctx.principal))),
    unpublishCatalogItem: unary(async (req, ctx) => toCatalogItemMessage(await items.unpublish(req.id, ctx.principal))),
    searchCatalogItems: unary(async (req) => {
      const page = await items.search({ query: req.query, pageSize: req.pageSize, pageToken: req.pageToken });
      return { catalogItems: page.items.map(toCatalogItemMessage), nextPageToken: page.nextPageToken };
    }),
    createLesson: unary(async (req, ctx) =>
      toLessonMessage(await lessons.create(req.catalogItemId, lessonFields(req.lesson), ctx.principal)),
    ),
    listLessons: unary(async (req, ctx) => {
      const page = await lessons.list(
        { catalogItemId: req.catalogItemId, pageSize: req.pageSize, pageToken: req.pageToken },
        ctx.principal,
      );
      return { lessons: page.items.map(toLessonMessage), nextPageToken: page.nextPageToken };
    }),
    updateLesson: unary(async (req, ctx) =>
      toLessonMessage(
        await lessons.update(
          { id: req.lesson?.id ?? '', etag: req.lesson?.etag ?? '', fields: lessonFields(req.lesson), updateMask: req.updateMask },
          ctx.principal,
        ),
      ),
    ),
    deleteLesson: unary(async (req, ctx) => {
      await lessons.delete(req.id, req.etag, ctx.principal);
      return {};
    }),
  };
}

function catalogItemFields(message: CatalogItemMessage | undefined): CatalogItemFields {
  return {
    title: message?.title ?? '',
    description: message?.description ?? '',
    price: message?.price ? { currencyCode: message.price.currencyCode, amountMinor: message.price.amountMinor } : undefined,
    instructorId: message?.instructorId ?? '',
  };
}

function lessonFields(message: LessonMessage | undefined): LessonFields {
  return { title: message?.title ?? '', position: message?.position ?? 0 };
}

/** Takes the entity as well as the cached data (they have the same shape). */
export function toCatalogItemMessage(item: CatalogItemData): CatalogItemMessage {
  return {
    id: item.id,
    title: item.title,
    description: item.description,
    price: { currencyCode: item.currency, amountMinor: item.priceAmount },
    published: item.published,
    instructorId: item.instructor?.id ?? '',
    createTime: item.createTime,
    updateTime: item.updateTime,
    etag: etagOf(item.version),
  };
}

/** Takes the entity as well as the cached data (they have the same shape). */
export function toLessonMessage(lesson: LessonData): LessonMessage {
  return {
    id: lesson.id,
    catalogItemId: lesson.catalogItem.id,
    title: lesson.title,
    position: lesson.position,
    createTime: lesson.createTime,
    updateTime: lesson.updateTime,
    etag: etagOf(lesson.version),
  };
}
