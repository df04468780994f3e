import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourseEngagement } from '../../generated/campus/analytics/v1/analytics.js';
import { encode, inputOf, RawClient, withUnpairedSurrogate } from '../support/raw-call.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Strings and timestamps no store can take are refused at the boundary, for
// every field of every request, as INVALID_ARGUMENT naming the field.
let server: TestServer;
let raw: RawClient;

beforeAll(async () => {
  server = await startTestServer();
  raw = new RawClient(server.port);
});
afterAll(async () => {
  raw?.close();
  await server?.close();
});

const ITEM = '01938a4e-0000-7000-8000-000000000001';
const USER = '01938a4e-0000-7000-8000-000000000002';
const MIN_INT64 = -(2n ** 63n);

async function violations(method: string, init: Record<string, unknown>, patch?: (b: Buffer) => Buffer) {
  const answer = await raw.call(method, encode(inputOf(method), init, patch), await server.asAdmin());
  return { code: status[answer.code], fieldViolations: answer.error?.fieldViolations };
}

describe('strings at the boundary', () => {
  it.each([
    [
      'campus.catalog.v1.CatalogService/CreateCatalogItem',
      { catalogItem: { title: 'Data\u0000bases', price: { currencyCode: 'EUR' } } },
      'catalog_item.title',
    ],
    ['campus.catalog.v1.CatalogService/CreateLesson', { catalogItemId: ITEM, lesson: { title: 'x\u0000', position: 1 } }, 'lesson.title'],
    ['campus.catalog.v1.CatalogService/SearchCatalogItems', { query: 'index\u0000es' }, 'query'],
    ['campus.audit.v1.AuditService/ListAuditEntries', { entityType: 'user\u0000' }, 'entity_type'],
  ])('when %s carries a NUL byte, then INVALID_ARGUMENT names the field', async (method, init, field) => {
    expect(await violations(method, init)).toEqual({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field, reason: 'NUL_CHARACTER' }] });
  });

  it('when a RecordEvents property name holds a NUL byte, then INVALID_ARGUMENT names the event’s properties', async () => {
    const event = {
      type: 1,
      userId: USER,
      catalogItemId: ITEM,
      occurTime: { seconds: 1_700_000_000n },
      properties: { fields: { 'a\u0000b': { kind: { case: 'stringValue', value: 'x' } } } },
    };
    expect(await violations('campus.analytics.v1.AnalyticsService/RecordEvents', { events: [event, event] })).toEqual({
      code: 'INVALID_ARGUMENT',
      fieldViolations: [
        { field: 'events[0].properties', reason: 'NUL_CHARACTER' },
        { field: 'events[1].properties', reason: 'NUL_CHARACTER' },
      ],
    });
  });

  it('when a string holds an unpaired surrogate, then INVALID_ARGUMENT names it as invalid UTF-8', async () => {
    const answer = await violations(
      'campus.catalog.v1.CatalogService/SearchCatalogItems',
      { query: 'SURROGATE' },
      withUnpairedSurrogate('SURROGATE'),
    );
    expect(answer).toEqual({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'query', reason: 'INVALID_UTF8' }] });
  });

  it('when a string is ordinary non-ASCII text, then it passes', async () => {
    expect((await violations('campus.catalog.v1.CatalogService/SearchCatalogItems', { query: 'Übung 😀 日本' })).code).toBe('OK');
  });
});

describe('timestamps at the boundary', () => {
  it.each([
    ['-2^63 s', { seconds: MIN_INT64 }],
    ['one second before 0001-01-01', { seconds: -62_135_596_801n }],
    ['10000-01-01', { seconds: 253_402_300_800n }],
    ['negative nanos', { seconds: 1_700_000_000n, nanos: -1 }],
    ['a billion nanos', { seconds: 1_700_000_000n, nanos: 1_000_000_000 }],
  ])('when RecordEvents has an occur_time of %s, then it is out of range, not IN_FUTURE', async (_what, occurTime) => {
    const event = { type: 1, userId: USER, catalogItemId: ITEM, occurTime };
    expect(await violations('campus.analytics.v1.AnalyticsService/RecordEvents', { events: [event] })).toEqual({
      code: 'INVALID_ARGUMENT',
      fieldViolations: [{ field: 'events[0].occur_time', reason: 'TIMESTAMP_OUT_OF_RANGE' }],
    });
  });

  it('when GetCourseEngagement starts before year 1, then INVALID_ARGUMENT instead of an OK with days out of range', async () => {
    const start = -65_000_000_000n;
    const init = { catalogItemId: ITEM, startTime: { seconds: start }, endTime: { seconds: start + 3n * 86_400n } };
    expect(await violations('campus.analytics.v1.AnalyticsService/GetCourseEngagement', init)).toEqual({
      code: 'INVALID_ARGUMENT',
      fieldViolations: [
        { field: 'start_time', reason: 'TIMESTAMP_OUT_OF_RANGE' },
        { field: 'end_time', reason: 'TIMESTAMP_OUT_OF_RANGE' },
      ],
    });
  });

  it('when GetCourseEngagement asks for the last days of 9999, then every day of the answer is in range', async () => {
    const end = 253_402_300_799n;
    const init = { catalogItemId: ITEM, startTime: { seconds: end - 3n * 86_400n }, endTime: { seconds: end } };
    const method = 'campus.analytics.v1.AnalyticsService/GetCourseEngagement';
    const answer = await raw.call(method, encode(inputOf(method), init), await server.asAdmin());
    expect(status[answer.code]).toBe('OK');
    const days = CourseEngagement.decode(answer.response ?? Buffer.alloc(0)).days;
    expect(days.length).toBeGreaterThan(0);
    for (const day of days) expect(day.dayStartTime?.getUTCFullYear()).toBe(9999);
  });
});
