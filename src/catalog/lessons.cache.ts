import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '../cache/cache.js';
import type { CachedResource } from '../cache/cached-resource.js';
import type { Codec } from '../cache/codec.js';
import { rawQuery } from '../db/raw-query.js';
import type { LessonData } from './lesson.entity.js';

/** How many lessons of an item are cached: every page of the default size (50) of a course this long is served from Redis. */
export const CACHED_LESSONS = 100;

/** The first lessons of an item by position; `complete` when they are all of them. */
export interface CachedLessons {
  readonly lessons: readonly LessonData[];
  readonly complete: boolean;
}

/**
 * ListLessons through the cache: key `v1:lessons:{<catalog item id>}` holds
 * the item's first CACHED_LESSONS lessons in position order. A page that lies
 * within them (every page of an item with at most that many lessons) is cut
 * from the cached list; one that reaches past them is read from PostgreSQL.
 * Whether the item exists and may be seen is the catalog item cache's
 * answer, not this one's: an item without lessons caches an empty list.
 *
 * Invalidated after the commit of every lesson create, update and delete,
 * and of the item's create and delete.
 */
export class LessonsCache {
  private readonly lists: CachedResource<string, CachedLessons>;

  constructor(
    cache: Cache,
    /** The request-scoped PostgreSQL EntityManager. */
    em: EntityManager,
  ) {
    this.lists = cache.resource<string, CachedLessons>({
      name: 'lessons',
      version: 1,
      codec: LESSONS_CODEC,
      load: (itemIds) => firstLessons(em, itemIds),
    });
  }

  get(catalogItemId: string): Promise<CachedLessons | undefined> {
    return this.lists.get(catalogItemId.toLowerCase());
  }

  /** After the commit that changed these items' lessons. Never throws. */
  invalidate(catalogItemIds: readonly string[]): Promise<void> {
    return this.lists.invalidate(catalogItemIds.map((id) => id.toLowerCase()));
  }
}

interface LessonRow {
  readonly item_id: string;
  readonly id: string;
  readonly title: string;
  readonly position: number;
  readonly create_time: Date;
  readonly update_time: Date;
  readonly version: number;
}

/**
 * The first CACHED_LESSONS + 1 lessons of each item (the extra one tells
 * whether there are more) in ONE statement: a lateral index range scan of
 * the unique (catalog_item_id, position) index per item.
 */
async function firstLessons(em: EntityManager, itemIds: readonly string[]): Promise<Map<string, CachedLessons>> {
  const rows = await rawQuery<LessonRow>(
    em,
    `select i.id::text as item_id, l.id::text as id, l.title, l.position, l.create_time, l.update_time, l.version
       from (values ${itemIds.map(() => '(?::uuid)').join(', ')}) as i(id)
       cross join lateral (
         select * from lessons where catalog_item_id = i.id order by position limit ?
       ) l
      order by i.id, l.position`,
    [...itemIds, CACHED_LESSONS + 1],
  );
  const byItem = new Map<string, LessonData[]>(itemIds.map((id) => [id, []]));
  for (const row of rows) {
    byItem.get(row.item_id)?.push({
      id: row.id,
      catalogItem: { id: row.item_id },
      title: row.title,
      position: row.position,
      createTime: new Date(row.create_time),
      updateTime: new Date(row.update_time),
      version: row.version,
    });
  }
  return new Map(
    [...byItem].map(([id, lessons]) => [id, { lessons: lessons.slice(0, CACHED_LESSONS), complete: lessons.length <= CACHED_LESSONS }]),
  );
}

const LESSONS_CODEC: Codec<CachedLessons> = {
  encode: (value) => JSON.stringify(value),
  decode: (raw) => {
    const value = JSON.parse(raw) as {
      lessons: (Omit<LessonData, 'createTime' | 'updateTime'> & { createTime: string; updateTime: string })[];
      complete: boolean;
    };
    return {
      complete: value.complete,
      lessons: value.lessons.map((l) => ({ ...l, createTime: new Date(l.createTime), updateTime: new Date(l.updateTime) })),
    };
  },
};
