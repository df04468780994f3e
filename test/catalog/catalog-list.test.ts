import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { CatalogItem, ListCatalogItemsRequest, SearchCatalogItemsRequest } from '../../generated/campus/catalog/v1/catalog.js';
import { Role } from '../../generated/campus/identity/v1/user.js';
import { call, failure } from '../support/grpc.js';
import { type CatalogFixture, useCatalogFixture } from './catalog-fixture.js';

let f: CatalogFixture;

useCatalogFixture({}, (s) => {
  f = s;
});

const list = (req: Partial<ListCatalogItemsRequest>) =>
  call(f.client.listCatalogItems, f.client, { pageSize: 0, pageToken: '', instructorId: '', orderBy: '', ...req });
const search = (req: Partial<SearchCatalogItemsRequest>) =>
  call(f.client.searchCatalogItems, f.client, { query: '', pageSize: 0, pageToken: '', ...req });

/** Every item of a listing, page by page. */
async function listAll(req: Partial<ListCatalogItemsRequest>): Promise<CatalogItem[]> {
  const all: CatalogItem[] = [];
  let pageToken = req.pageToken ?? '';
  do {
    const page = await list({ ...req, pageToken });
    expect(page.catalogItems.length).toBeLessThanOrEqual(req.pageSize || 50);
    all.push(...page.catalogItems);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return all;
}

async function searchAll(req: Partial<SearchCatalogItemsRequest>): Promise<CatalogItem[]> {
  const all: CatalogItem[] = [];
  let pageToken = '';
  do {
    const page = await search({ ...req, pageToken });
    all.push(...page.catalogItems);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** A fresh instructor and items of theirs, so a test can list exactly its own rows. */
async function itemsOfNewInstructor(items: Partial<CatalogItem>[]): Promise<{ instructorId: string; items: CatalogItem[] }> {
  const instructorId = await f.createUser(Role.ROLE_INSTRUCTOR);
  const created: CatalogItem[] = [];
  for (const item of items) created.push(await f.createItem({ ...item, instructorId }));
  return { instructorId, items: created };
}

const titles = (items: CatalogItem[]) => items.map((i) => i.title);

describe('ListCatalogItems', () => {
  it('when no order is given, then items come newest first, page by page, each exactly once', async () => {
    const { instructorId, items } = await itemsOfNewInstructor(['one', 'two', 'three', 'four', 'five'].map((title) => ({ title })));
    const all = await listAll({ instructorId, pageSize: 2 });
    expect(all.map((i) => i.id)).toEqual(items.map((i) => i.id).reverse());
  });

  it('when ordered by title or price, asc or desc, then the order holds across pages', async () => {
    const { instructorId } = await itemsOfNewInstructor([
      { title: 'Cherry', price: { currencyCode: 'EUR', amountMinor: 300n } },
      { title: 'Apple', price: { currencyCode: 'EUR', amountMinor: 900n } },
      { title: 'Banana', price: { currencyCode: 'EUR', amountMinor: 100n } },
      { title: 'Damson', price: { currencyCode: 'EUR', amountMinor: 100n } },
    ]);
    expect(titles(await listAll({ instructorId, pageSize: 1, orderBy: 'title' }))).toEqual(['Apple', 'Banana', 'Cherry', 'Damson']);
    expect(titles(await listAll({ instructorId, pageSize: 3, orderBy: 'title desc' }))).toEqual(['Damson', 'Cherry', 'Banana', 'Apple']);
    const byPrice = await listAll({ instructorId, pageSize: 1, orderBy: 'price asc' });
    expect(byPrice.map((i) => i.price?.amountMinor)).toEqual([100n, 100n, 300n, 900n]);
    const byPriceDesc = await listAll({ instructorId, pageSize: 2, orderBy: '  price   DESC ' });
    expect(byPriceDesc.map((i) => i.price?.amountMinor)).toEqual([900n, 300n, 100n, 100n]);
    expect(titles(await listAll({ instructorId, pageSize: 2, orderBy: 'create_time asc' }))).toEqual([
      'Cherry',
      'Apple',
      'Banana',
      'Damson',
    ]);
  });

  it('when filtered by published, then only items in that state are listed', async () => {
    const { instructorId, items } = await itemsOfNewInstructor([{ title: 'draft' }]);
    const published = await f.createPublishedItem({ title: 'on sale', instructorId });
    expect((await listAll({ instructorId, published: true })).map((i) => i.id)).toEqual([published.id]);
    expect((await listAll({ instructorId, published: false })).map((i) => i.id)).toEqual([items[0]?.id]);
    expect(await listAll({ instructorId })).toHaveLength(2);
    const everyPublished = await listAll({ published: true, pageSize: 1000 });
    expect(everyPublished.length).toBeGreaterThan(0);
    expect(everyPublished.every((i) => i.published)).toBe(true);
  });

  it('when rows are inserted between pages, then page 2 continues after page 1 with no duplicate and no gap', async () => {
    const { instructorId, items } = await itemsOfNewInstructor(['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((title) => ({ title })));
    for (const orderBy of ['title', 'create_time']) {
      const page1 = await list({ instructorId, pageSize: 3, orderBy });
      // One row that sorts before page 1's rows and one that sorts after all of them.
      await f.createItem({ instructorId, title: `a-${orderBy}` });
      await f.createItem({ instructorId, title: `z-${orderBy}` });
      const rest = await listAll({ instructorId, pageSize: 3, orderBy, pageToken: page1.nextPageToken });
      const original = new Set(items.map((i) => i.id));
      const seen = [...page1.catalogItems, ...rest].map((i) => i.id).filter((id) => original.has(id));
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
    }
  });

  it('when page_size is 0, then 50 are served; above 1000, then it is capped, not refused', async () => {
    const { instructorId } = await itemsOfNewInstructor(Array.from({ length: 51 }, (_, i) => ({ title: `bulk ${i}` })));
    const page = await list({ instructorId });
    expect(page.catalogItems).toHaveLength(50);
    expect(page.nextPageToken).not.toBe('');
    expect((await list({ instructorId, pageSize: 5000 })).catalogItems).toHaveLength(51);
  });

  it('when page_size is negative or order_by or instructor_id is unknown, then INVALID_ARGUMENT names each', async () => {
    const err = await failure(list({ pageSize: -1, orderBy: 'rating desc', instructorId: 'bob' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['instructor_id', 'order_by', 'page_size']);
    for (const orderBy of ['title sideways', 'title, price', 'id']) {
      expect((await failure(list({ orderBy }))).fieldViolations).toEqual([{ field: 'order_by', reason: 'INVALID_ORDER_BY' }]);
    }
  });

  it('when the page token was edited or belongs to another order, then INVALID_ARGUMENT names page_token', async () => {
    const { instructorId } = await itemsOfNewInstructor([{ title: 'x' }, { title: 'y' }]);
    const { nextPageToken } = await list({ instructorId, pageSize: 1, orderBy: 'title' });
    const [body = '', signature = ''] = nextPageToken.split('.');
    const edited = `${Buffer.from(Buffer.from(body, 'base64url').toString().replace('"x"', '"a"')).toString('base64url')}.${signature}`;
    for (const req of [{ pageToken: edited, orderBy: 'title' }, { pageToken: nextPageToken, orderBy: 'price' }, { pageToken: 'garbage' }]) {
      const err = await failure(list({ instructorId, pageSize: 1, ...req }));
      expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
    }
  });
});

describe('SearchCatalogItems', () => {
  it('when the query matches one title and another description, then the title match ranks first', async () => {
    const inDescription = await f.createPublishedItem({ title: 'Gardening', description: 'Soil, seeds and some quokka facts' });
    const inTitle = await f.createPublishedItem({ title: 'Quokka husbandry', description: 'Animals of Rottnest' });
    const res = await search({ query: 'quokka' });
    expect(res.catalogItems.map((i) => i.id)).toEqual([inTitle.id, inDescription.id]);
  });

  it('when a matching item is unpublished, then search does not find it', async () => {
    const draft = await f.createItem({ title: 'Secret wombat course' });
    const onSale = await f.createPublishedItem({ title: 'Public wombat course' });
    expect((await search({ query: 'wombat' })).catalogItems.map((i) => i.id)).toEqual([onSale.id]);
    await call(f.client.unpublishCatalogItem, f.client, { id: onSale.id });
    expect((await search({ query: 'wombat' })).catalogItems).toEqual([]);
    expect(draft.published).toBe(false);
  });

  it('when the query uses web-search syntax, then phrases and exclusions apply', async () => {
    const both = await f.createPublishedItem({ title: 'Relational algebra basics', description: 'joins' });
    await f.createPublishedItem({ title: 'Relational databases', description: 'algebra excluded here? no: none' });
    expect((await search({ query: '"relational algebra"' })).catalogItems.map((i) => i.id)).toEqual([both.id]);
    const excluded = await search({ query: 'relational -joins' });
    expect(excluded.catalogItems.map((i) => i.id)).not.toContain(both.id);
  });

  it('when many items tie on rank, then pages of one walk through all of them exactly once, in rank order', async () => {
    const tied: string[] = [];
    for (let i = 0; i < 5; i++) tied.push((await f.createPublishedItem({ title: `Axolotl care ${i}`, description: '' })).id);
    const better = await f.createPublishedItem({ title: 'Axolotl axolotl axolotl', description: 'axolotl' });
    const onePage = await search({ query: 'axolotl', pageSize: 100 });
    const paged = await searchAll({ query: 'axolotl', pageSize: 1 });
    expect(paged.map((i) => i.id)).toEqual(onePage.catalogItems.map((i) => i.id));
    expect(paged[0]?.id).toBe(better.id);
    expect(new Set(paged.map((i) => i.id))).toEqual(new Set([better.id, ...tied]));
  });

  it('when the query is empty or the token belongs to another query, then INVALID_ARGUMENT', async () => {
    expect((await failure(search({ query: '  ' }))).fieldViolations).toEqual([{ field: 'query', reason: 'FIELD_REQUIRED' }]);
    await f.createPublishedItem({ title: 'Narwhal one' });
    await f.createPublishedItem({ title: 'Narwhal two' });
    const { nextPageToken } = await search({ query: 'narwhal', pageSize: 1 });
    expect(nextPageToken).not.toBe('');
    const err = await failure(search({ query: 'narwhals', pageToken: nextPageToken }));
    expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
  });
});
