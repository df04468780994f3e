import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { Lesson } from '../../generated/campus/catalog/v1/catalog.js';
import { call, failure } from '../support/grpc.js';
import { type CatalogFixture, useCatalogFixture } from './catalog-fixture.js';

let f: CatalogFixture;

useCatalogFixture({}, (s) => {
  f = s;
});

const MISSING = '01900000-0000-7000-8000-000000000000';

const listLessons = (catalogItemId: string, pageSize = 0, pageToken = '') =>
  call(f.client.listLessons, f.client, { catalogItemId, pageSize, pageToken });
const updateLesson = (lesson: Partial<Lesson> & { id: string }, updateMask?: string[]) =>
  call(f.client.updateLesson, f.client, { lesson: { catalogItemId: '', title: '', position: 0, etag: '', ...lesson }, updateMask });
const deleteLesson = (id: string, etag = '') => call(f.client.deleteLesson, f.client, { id, etag });
const actionsOf = async (entityId: string) =>
  (await f.sql<{ action: string }>('select action from audit_log where entity_id = $1 order by create_time, id', [entityId])).map(
    (r) => r.action,
  );

describe('CreateLesson', () => {
  it('when the lesson is valid, then it is created in its item and audited', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id, { title: 'Primary keys', position: 1 });
    expect(lesson).toMatchObject({ catalogItemId: item.id, title: 'Primary keys', position: 1, etag: '1' });
    expect(await actionsOf(lesson.id)).toEqual(['lesson.created']);
  });

  it('when the position is taken, then ALREADY_EXISTS and the first lesson stays the only one', async () => {
    const item = await f.createItem();
    await f.createLesson(item.id, { title: 'First', position: 2 });
    const err = await failure(f.createLesson(item.id, { title: 'Second', position: 2 }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.reason).toBe('LESSON_POSITION_TAKEN');
    expect(await f.sql('select title from lessons where catalog_item_id = $1', [item.id])).toEqual([{ title: 'First' }]);
  });

  it('when several callers race for one position, then exactly one wins and the others get ALREADY_EXISTS', async () => {
    const item = await f.createItem();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => f.createLesson(item.id, { title: `racer ${i}`, position: 7 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: number }).code).toBe(status.ALREADY_EXISTS);
  });

  it('when the title and position are bad, then INVALID_ARGUMENT names lesson.title and lesson.position', async () => {
    const item = await f.createItem();
    const err = await failure(f.createLesson(item.id, { title: '', position: 0 }));
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['lesson.position', 'lesson.title']);
    const bad = await failure(f.createLesson('nope', { position: -3 }));
    expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual(['catalog_item_id', 'lesson.position']);
  });

  it('when the catalog item does not exist, then NOT_FOUND names it', async () => {
    const err = await failure(f.createLesson(MISSING));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'CatalogItem', name: MISSING });
  });
});

describe('ListLessons', () => {
  it('when lessons were added out of order, then they are listed by position, page by page', async () => {
    const item = await f.createItem();
    for (const position of [3, 1, 5, 2]) await f.createLesson(item.id, { title: `at ${position}`, position });
    const first = await listLessons(item.id, 3);
    expect(first.lessons.map((l) => l.position)).toEqual([1, 2, 3]);
    await f.createLesson(item.id, { title: 'late', position: 4 });
    const second = await listLessons(item.id, 3, first.nextPageToken);
    expect(second.lessons.map((l) => l.position)).toEqual([4, 5]);
    expect(second.nextPageToken).toBe('');
  });

  it('when the item has no lessons, then an empty page; when it does not exist, then NOT_FOUND', async () => {
    const item = await f.createItem();
    expect(await listLessons(item.id)).toEqual({ lessons: [], nextPageToken: '' });
    expect((await failure(listLessons(MISSING))).code).toBe(status.NOT_FOUND);
  });

  it('when the token belongs to another item or page_size is negative, then INVALID_ARGUMENT', async () => {
    const a = await f.createItem();
    const b = await f.createItem();
    for (const position of [1, 2]) await f.createLesson(a.id, { position });
    const { nextPageToken } = await listLessons(a.id, 1);
    expect((await failure(listLessons(b.id, 1, nextPageToken))).fieldViolations).toEqual([
      { field: 'page_token', reason: 'INVALID_PAGE_TOKEN' },
    ]);
    expect((await failure(listLessons(a.id, -1))).fieldViolations).toEqual([{ field: 'page_size', reason: 'INVALID_PAGE_SIZE' }]);
  });
});

describe('UpdateLesson', () => {
  it('when the title and position change, then both are saved, the etag moves on and the diff is audited', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id, { title: 'Draft', position: 1 });
    const updated = await updateLesson({ id: lesson.id, etag: lesson.etag, title: 'Final', position: 4 });
    expect(updated).toMatchObject({ title: 'Final', position: 4, etag: '2' });
    const diff = await f.sql<{ diff: unknown }>("select diff from audit_log where entity_id = $1 and action = 'lesson.updated'", [
      lesson.id,
    ]);
    expect(diff).toEqual([{ diff: { title: ['Draft', 'Final'], position: [1, 4] } }]);
  });

  it('when the etag is stale, then ABORTED and nothing changes', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id, { title: 'v1' });
    await updateLesson({ id: lesson.id, title: 'v2' }, ['title']);
    const err = await failure(updateLesson({ id: lesson.id, etag: lesson.etag, title: 'v3' }, ['title']));
    expect(err.code).toBe(status.ABORTED);
    expect((await listLessons(item.id)).lessons.map((l) => l.title)).toEqual(['v2']);
  });

  it('when the new position is taken by another lesson, then ALREADY_EXISTS and both stay where they were', async () => {
    const item = await f.createItem();
    const one = await f.createLesson(item.id, { title: 'one', position: 1 });
    await f.createLesson(item.id, { title: 'two', position: 2 });
    const err = await failure(updateLesson({ id: one.id, position: 2 }, ['position']));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect((await listLessons(item.id)).lessons.map((l) => [l.title, l.position])).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
  });

  it('when the mask names catalog_item_id or the lesson is unknown, then INVALID_ARGUMENT or NOT_FOUND', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id);
    expect((await failure(updateLesson({ id: lesson.id }, ['catalog_item_id']))).fieldViolations).toEqual([
      { field: 'update_mask', reason: 'UNKNOWN_FIELD_PATH' },
    ]);
    expect((await failure(updateLesson({ id: MISSING, title: 'x' }, ['title']))).code).toBe(status.NOT_FOUND);
  });
});

describe('DeleteLesson', () => {
  it('when the lesson exists, then it is deleted and audited', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id);
    await expect(deleteLesson(lesson.id, lesson.etag)).resolves.toEqual({});
    expect((await listLessons(item.id)).lessons).toEqual([]);
    expect(await actionsOf(lesson.id)).toEqual(['lesson.created', 'lesson.deleted']);
  });

  it('when the etag is stale, then ABORTED and the lesson stays', async () => {
    const item = await f.createItem();
    const lesson = await f.createLesson(item.id);
    await updateLesson({ id: lesson.id, title: 'renamed' }, ['title']);
    expect((await failure(deleteLesson(lesson.id, lesson.etag))).code).toBe(status.ABORTED);
    expect((await listLessons(item.id)).lessons).toHaveLength(1);
  });

  it('when it is the last lesson of a published item, then FAILED_PRECONDITION; once unpublished, it can go', async () => {
    const item = await f.createPublishedItem();
    const [lesson] = (await listLessons(item.id)).lessons;
    const err = await failure(deleteLesson(lesson?.id ?? ''));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('LAST_LESSON_OF_PUBLISHED_ITEM');
    await call(f.client.unpublishCatalogItem, f.client, { id: item.id });
    await expect(deleteLesson(lesson?.id ?? '')).resolves.toEqual({});
  });

  it('when the lesson does not exist, then NOT_FOUND', async () => {
    const err = await failure(deleteLesson(MISSING));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'Lesson', name: MISSING });
  });
});
