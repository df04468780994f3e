import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../generated/campus/catalog/v1/catalog.js';
import { Role } from '../../generated/campus/identity/v1/user.js';
import { call, failure } from '../support/grpc.js';
import { type CatalogFixture, useCatalogFixture } from './catalog-fixture.js';

let f: CatalogFixture;

useCatalogFixture({}, (s) => {
  f = s;
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MISSING = '01900000-0000-7000-8000-000000000000';

const get = (id: string) => call(f.client.getCatalogItem, f.client, { id });
const update = (catalogItem: Partial<CatalogItem> & { id: string }, updateMask?: string[]) =>
  call(f.client.updateCatalogItem, f.client, {
    catalogItem: { title: '', description: '', published: false, instructorId: '', etag: '', ...catalogItem },
    updateMask,
  });
const auditOf = (entityId: string) =>
  f.sql<{ action: string; actor: string; diff: Record<string, unknown> }>(
    'select action, actor, diff from audit_log where entity_id = $1 order by create_time, id',
    [entityId],
  );

describe('CreateCatalogItem', () => {
  it('when the item is valid, then it is created unpublished with a v7 id and reads back the same', async () => {
    const created = await f.createItem();
    expect(created.id).toMatch(UUID_V7);
    expect(created).toMatchObject({
      title: 'Databases 101',
      description: 'Keys, indexes and transactions',
      price: { currencyCode: 'EUR', amountMinor: 4900n },
      published: false,
      instructorId: '',
      etag: '1',
    });
    expect(created.createTime).toBeInstanceOf(Date);
    expect(await get(created.id)).toEqual(created);
  });

  it('when it is created, then catalog_item.created is audited with the new values in the same transaction', async () => {
    const created = await f.createItem({ title: 'Audited course' });
    const audit = await auditOf(created.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'catalog_item.created', actor: f.server.admin.id });
    expect(audit[0]?.diff).toMatchObject({ title: [null, 'Audited course'], priceAmount: [null, '4900'], currency: [null, 'EUR'] });
  });

  it('when every field is bad, then INVALID_ARGUMENT names each field by its proto path and nothing is written', async () => {
    const before = await f.sql<{ n: string }>('select count(*) as n from catalog_items');
    const err = await failure(
      f.createItem({
        title: ' ',
        description: 'x'.repeat(10_001),
        price: { currencyCode: 'eur', amountMinor: -1n },
        instructorId: 'teacher',
      }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual([
      'catalog_item.description',
      'catalog_item.instructor_id',
      'catalog_item.price.amount_minor',
      'catalog_item.price.currency_code',
      'catalog_item.title',
    ]);
    expect(await f.sql('select count(*) as n from catalog_items')).toEqual(before);
  });

  it('when the title has 200 characters, then it is accepted, and with 201 it is TOO_LONG', async () => {
    await expect(f.createItem({ title: 'é'.repeat(200) })).resolves.toMatchObject({ title: 'é'.repeat(200) });
    const err = await failure(f.createItem({ title: 'é'.repeat(201) }));
    expect(err.fieldViolations).toEqual([{ field: 'catalog_item.title', reason: 'TOO_LONG' }]);
  });

  it('when the price or the whole item is missing, then the missing fields are named', async () => {
    const noPrice = await failure(f.createItem({ price: undefined }));
    expect(noPrice.fieldViolations).toEqual([{ field: 'catalog_item.price', reason: 'FIELD_REQUIRED' }]);
    const noItem = await failure(call(f.client.createCatalogItem, f.client, { catalogItem: undefined }));
    expect(noItem.fieldViolations.map((v) => v.field).sort()).toEqual(['catalog_item.price', 'catalog_item.title']);
  });

  it('when the currency code is not three uppercase letters, then catalog_item.price.currency_code is named', async () => {
    for (const currencyCode of ['', 'EURO', 'E1R']) {
      const err = await failure(f.createItem({ price: { currencyCode, amountMinor: 100n } }));
      expect(err.fieldViolations.map((v) => v.field)).toEqual(['catalog_item.price.currency_code']);
    }
  });

  it('when the instructor is an instructor or an admin, then the item names them', async () => {
    for (const role of [Role.ROLE_INSTRUCTOR, Role.ROLE_ADMIN]) {
      const instructorId = await f.createUser(role);
      const created = await f.createItem({ instructorId });
      expect(created.instructorId).toBe(instructorId);
      expect((await get(created.id)).instructorId).toBe(instructorId);
    }
  });

  it('when the instructor is a student, then FAILED_PRECONDITION and nothing is written', async () => {
    const studentId = await f.createUser(Role.ROLE_STUDENT);
    const err = await failure(f.createItem({ instructorId: studentId, title: 'Taught by a student' }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('NOT_AN_INSTRUCTOR');
    expect(await f.sql("select 1 from catalog_items where title = 'Taught by a student'")).toEqual([]);
  });

  it('when the instructor does not exist, then NOT_FOUND names the user', async () => {
    const err = await failure(f.createItem({ instructorId: MISSING }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'User', name: MISSING });
  });
});

describe('GetCatalogItem', () => {
  it('when no item has the id, then NOT_FOUND names the resource', async () => {
    const err = await failure(get(MISSING));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'CatalogItem', name: MISSING });
  });

  it('when the id is not a UUID, then INVALID_ARGUMENT names id', async () => {
    const err = await failure(get('42'));
    expect(err.fieldViolations).toEqual([{ field: 'id', reason: 'INVALID_UUID' }]);
  });
});

describe('BatchGetCatalogItems', () => {
  it('when ids are given, then the items come back in the requested order, repeats included', async () => {
    const [a, b, c] = [await f.createItem({ title: 'A' }), await f.createItem({ title: 'B' }), await f.createItem({ title: 'C' })];
    const ids = [c?.id, a?.id, b?.id, c?.id].map(String);
    const res = await call(f.client.batchGetCatalogItems, f.client, { ids });
    expect(res.catalogItems.map((i) => i.id)).toEqual(ids);
    expect(res.catalogItems[1]).toEqual(a);
  });

  it('when one id is unknown, then NOT_FOUND names that id and no item is returned', async () => {
    const a = await f.createItem();
    const err = await failure(call(f.client.batchGetCatalogItems, f.client, { ids: [a.id, MISSING] }));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'CatalogItem', name: MISSING });
  });

  it('when more than 1000 ids or a malformed id are asked for, then INVALID_ARGUMENT names ids', async () => {
    const tooMany = await failure(call(f.client.batchGetCatalogItems, f.client, { ids: Array.from({ length: 1001 }, () => MISSING) }));
    expect(tooMany.fieldViolations).toEqual([{ field: 'ids', reason: 'TOO_MANY_IDS' }]);
    const malformed = await failure(call(f.client.batchGetCatalogItems, f.client, { ids: [MISSING, 'nope'] }));
    expect(malformed.fieldViolations).toEqual([{ field: 'ids[1]', reason: 'INVALID_UUID' }]);
  });

  it('when exactly 1000 ids are asked for, then they are served', async () => {
    const a = await f.createItem();
    const res = await call(f.client.batchGetCatalogItems, f.client, { ids: Array.from({ length: 1000 }, () => a.id) });
    expect(res.catalogItems).toHaveLength(1000);
  });
});

describe('UpdateCatalogItem', () => {
  it('when the mask names the title, then only the title changes, the etag moves on and the diff is audited', async () => {
    const created = await f.createItem({ title: 'Old title', description: 'Stays' });
    const updated = await update({ id: created.id, etag: created.etag, title: 'New title', description: 'ignored' }, ['title']);
    expect(updated).toMatchObject({ title: 'New title', description: 'Stays', etag: '2' });
    expect(updated.updateTime?.getTime()).toBeGreaterThanOrEqual(created.updateTime?.getTime() ?? Number.POSITIVE_INFINITY);
    expect(await get(created.id)).toEqual(updated);
    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['catalog_item.created', 'catalog_item.updated']);
    expect(audit[1]?.diff).toEqual({ title: ['Old title', 'New title'] });
  });

  it('when the mask is empty, then every updatable field is replaced', async () => {
    const instructorId = await f.createUser(Role.ROLE_INSTRUCTOR);
    const created = await f.createItem();
    const updated = await update({
      id: created.id,
      title: 'All new',
      description: 'Everything changes',
      price: { currencyCode: 'JPY', amountMinor: 1200n },
      instructorId,
    });
    expect(updated).toMatchObject({
      title: 'All new',
      description: 'Everything changes',
      price: { currencyCode: 'JPY', amountMinor: 1200n },
      instructorId,
      published: false,
    });
  });

  it('when instructor_id is masked and empty, then the instructor is removed', async () => {
    const instructorId = await f.createUser(Role.ROLE_ADMIN);
    const created = await f.createItem({ instructorId });
    const updated = await update({ id: created.id, instructorId: '' }, ['instructor_id']);
    expect(updated.instructorId).toBe('');
  });

  it('when the etag is stale, then ABORTED and nothing changes', async () => {
    const created = await f.createItem({ title: 'Before' });
    await update({ id: created.id, etag: created.etag, title: 'Changed once' }, ['title']);
    const current = await get(created.id);
    const err = await failure(update({ id: created.id, etag: created.etag, title: 'Lost update' }, ['title']));
    expect(err.code).toBe(status.ABORTED);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(await get(created.id)).toEqual(current);
    expect((await auditOf(created.id)).filter((a) => a.action === 'catalog_item.updated')).toHaveLength(1);
  });

  it('when the mask names an unknown or read-only field, then INVALID_ARGUMENT names update_mask', async () => {
    const created = await f.createItem();
    const err = await failure(update({ id: created.id, published: true }, ['published']));
    expect(err.fieldViolations).toEqual([{ field: 'update_mask', reason: 'UNKNOWN_FIELD_PATH' }]);
  });

  it('when a masked field is bad, then it is named; an unmasked bad field is ignored', async () => {
    const created = await f.createItem();
    const err = await failure(update({ id: created.id, title: '', price: { currencyCode: 'usd', amountMinor: 5n } }, ['price']));
    expect(err.fieldViolations).toEqual([{ field: 'catalog_item.price.currency_code', reason: 'INVALID_CURRENCY_CODE' }]);
  });

  it('when nothing actually changes, then the etag stays and nothing is audited', async () => {
    const created = await f.createItem({ title: 'Same' });
    const updated = await update({ id: created.id, title: 'Same' }, ['title']);
    expect(updated.etag).toBe(created.etag);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['catalog_item.created']);
  });

  it('when the item does not exist or the id is malformed, then NOT_FOUND or INVALID_ARGUMENT', async () => {
    expect((await failure(update({ id: MISSING, title: 'x' }, ['title']))).code).toBe(status.NOT_FOUND);
    expect((await failure(update({ id: 'x', title: 'x' }, ['title']))).fieldViolations).toEqual([
      { field: 'catalog_item.id', reason: 'INVALID_UUID' },
    ]);
  });
});

describe('DeleteCatalogItem', () => {
  it('when nobody is enrolled, then the item and its lessons are deleted and the deletion is audited', async () => {
    const created = await f.createItem();
    await f.createLesson(created.id);
    await expect(call(f.client.deleteCatalogItem, f.client, { id: created.id, etag: created.etag })).resolves.toEqual({});
    expect((await failure(get(created.id))).code).toBe(status.NOT_FOUND);
    expect(await f.sql('select 1 from lessons where catalog_item_id = $1', [created.id])).toEqual([]);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['catalog_item.created', 'catalog_item.deleted']);
  });

  it('when an enrollment exists, then FAILED_PRECONDITION and the item stays', async () => {
    const created = await f.createItem();
    const studentId = await f.createUser(Role.ROLE_STUDENT);
    await f.sql(
      `insert into enrollments (id, user_id, catalog_item_id, status, enrolled_at, version)
       values (gen_random_uuid(), $1, $2, 'cancelled', now(), 1)`,
      [studentId, created.id],
    );
    const err = await failure(call(f.client.deleteCatalogItem, f.client, { id: created.id, etag: '' }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('CATALOG_ITEM_HAS_ENROLLMENTS');
    expect(err.preconditions).toEqual([{ type: 'ENROLLMENTS', subject: `catalog_items/${created.id}` }]);
    expect(await get(created.id)).toEqual(created);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['catalog_item.created']);
  });

  it('when the etag is stale, then ABORTED and the item stays', async () => {
    const created = await f.createItem();
    await update({ id: created.id, title: 'Moved on' }, ['title']);
    const err = await failure(call(f.client.deleteCatalogItem, f.client, { id: created.id, etag: created.etag }));
    expect(err.code).toBe(status.ABORTED);
    expect((await get(created.id)).title).toBe('Moved on');
  });

  it('when the item does not exist, then NOT_FOUND', async () => {
    expect((await failure(call(f.client.deleteCatalogItem, f.client, { id: MISSING, etag: '' }))).code).toBe(status.NOT_FOUND);
  });
});

describe('PublishCatalogItem and UnpublishCatalogItem', () => {
  it('when the item has no lesson, then publishing fails with FAILED_PRECONDITION and it stays unpublished', async () => {
    const created = await f.createItem();
    const err = await failure(call(f.client.publishCatalogItem, f.client, { id: created.id }));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('CATALOG_ITEM_HAS_NO_LESSONS');
    expect((await get(created.id)).published).toBe(false);
  });

  it('when the item has a lesson, then it is published; publishing again changes nothing', async () => {
    const created = await f.createItem();
    await f.createLesson(created.id);
    const published = await call(f.client.publishCatalogItem, f.client, { id: created.id });
    expect(published).toMatchObject({ id: created.id, published: true, etag: '2' });
    const again = await call(f.client.publishCatalogItem, f.client, { id: created.id });
    expect(again).toEqual(published);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['catalog_item.created', 'catalog_item.published']);
  });

  it('when a published item is unpublished twice, then it is unpublished once and audited once', async () => {
    const published = await f.createPublishedItem();
    const first = await call(f.client.unpublishCatalogItem, f.client, { id: published.id });
    const second = await call(f.client.unpublishCatalogItem, f.client, { id: published.id });
    expect(first.published).toBe(false);
    expect(second).toEqual(first);
    expect((await auditOf(published.id)).map((a) => a.action)).toEqual([
      'catalog_item.created',
      'catalog_item.published',
      'catalog_item.unpublished',
    ]);
  });

  it('when the item does not exist, then NOT_FOUND', async () => {
    expect((await failure(call(f.client.publishCatalogItem, f.client, { id: MISSING }))).code).toBe(status.NOT_FOUND);
    expect((await failure(call(f.client.unpublishCatalogItem, f.client, { id: MISSING }))).code).toBe(status.NOT_FOUND);
  });
});
