import { status } from '@grpc/grpc-js';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { AuditServiceClient, type ListAuditEntriesRequest } from '../../generated/campus/audit/v1/audit.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { insertCatalogItem, insertUser, newRequestId } from '../support/fixtures.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let audit: AuditServiceClient;
let enrollments: EnrollmentServiceClient;
let db: pg.Client;

useTestServer({}, async (s, scope) => {
  server = s;
  audit = scope.connect(AuditServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  db = await scope.database();
});

const list = (req: Partial<ListAuditEntriesRequest>) =>
  call(audit.listAuditEntries, audit, { entityType: '', entityId: '', actor: '', pageSize: 0, pageToken: '', ...req });

/** An entry written straight to the table, for actors and times the service does not produce. */
async function insertEntry(entry: { actor?: string; entityType?: string; entityId: string; at: string }): Promise<string> {
  const id = uuidv7();
  await db.query(
    `insert into audit_log (id, actor, action, entity_type, entity_id, diff, create_time) values ($1, $2, 'thing.touched', $3, $4, '{}', $5)`,
    [id, entry.actor ?? 'system', entry.entityType ?? 'thing', entry.entityId, entry.at],
  );
  return id;
}

/** Every entry of a query, page by page. */
async function all(req: Partial<ListAuditEntriesRequest>, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await list({ ...req, pageSize, pageToken });
    ids.push(...page.auditEntries.map((e) => e.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

describe('ListAuditEntries', () => {
  it('when filtered by entity, then the enrollment and payment entries come back newest first with actor, action and diff', async () => {
    const userId = await insertUser(db);
    const item = await insertCatalogItem(db, { priceAmount: 500n });
    const enrollment = await call(enrollments.enroll, enrollments, { userId, catalogItemId: item.id, requestId: newRequestId() });
    await call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, etag: '', requestId: '' });

    const { auditEntries } = await list({ entityType: 'enrollment', entityId: enrollment.id });

    expect(auditEntries.map((e) => e.action)).toEqual(['enrollment.cancelled', 'enrollment.created']);
    expect(auditEntries[0]).toMatchObject({ actor: server.admin.id, entityType: 'enrollment', entityId: enrollment.id });
    expect(auditEntries[0]?.diff?.status).toEqual(['active', 'cancelled']);
    expect(auditEntries[1]?.createTime).toBeInstanceOf(Date);

    const { rows } = await db.query('select id from payments where enrollment_id = $1', [enrollment.id]);
    const payment = await list({ entityType: 'payment', entityId: rows[0].id });
    expect(payment.auditEntries.map((e) => e.action)).toEqual(['payment.refunded', 'payment.succeeded']);
    expect(payment.auditEntries[1]?.diff).toMatchObject({ status: [null, 'succeeded'], amount: [null, '500'], currency: [null, 'EUR'] });
    expect(JSON.stringify(payment.auditEntries)).not.toContain('local_');
  });

  it('when filtered by actor, then only that actor’s entries come back', async () => {
    const entityId = uuidv7();
    const ops = await insertEntry({ actor: 'ops-console', entityId, at: '2031-01-01T00:00:00Z' });
    await insertEntry({ actor: 'system', entityId, at: '2031-01-01T00:00:01Z' });

    const { auditEntries } = await list({ actor: 'ops-console' });

    expect(auditEntries.map((e) => e.id)).toEqual([ops]);
  });

  it('when filtered by a time range, then start is inclusive and end exclusive', async () => {
    const entityId = uuidv7();
    await insertEntry({ entityId, at: '2030-01-01T00:00:00Z' });
    const inside = await insertEntry({ entityId, at: '2030-01-02T00:00:00Z' });
    const alsoInside = await insertEntry({ entityId, at: '2030-01-02T12:00:00.123Z' });
    await insertEntry({ entityId, at: '2030-01-03T00:00:00Z' });

    const { auditEntries } = await list({
      entityType: 'thing',
      entityId,
      startTime: new Date('2030-01-02T00:00:00Z'),
      endTime: new Date('2030-01-03T00:00:00Z'),
    });

    expect(auditEntries.map((e) => e.id)).toEqual([alsoInside, inside]);
    expect(
      (await list({ startTime: new Date('2030-01-02T12:00:00.123Z'), endTime: new Date('2030-01-02T12:00:00.124Z') })).auditEntries,
    ).toHaveLength(1);
  });

  it('when entries share a create_time and are paged one at a time while new ones arrive, then each comes exactly once in (time, id) order', async () => {
    const entityId = uuidv7();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await insertEntry({ entityId, at: '2029-06-01T00:00:00Z' }));
    ids.push(await insertEntry({ entityId, at: '2029-05-01T00:00:00Z' }));

    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await list({ entityType: 'thing', entityId, pageSize: 1, pageToken });
      seen.push(...page.auditEntries.map((e) => e.id));
      pageToken = page.nextPageToken;
      await insertEntry({ entityId, at: '2029-07-01T00:00:00Z' });
    } while (pageToken !== '');

    expect(seen).toEqual([ids[2], ids[1], ids[0], ids[3]]);
    expect(await all({ entityType: 'thing', entityId }, 3)).toHaveLength(4 + seen.length);
  });

  it('when the filter is inconsistent, then INVALID_ARGUMENT names each bad field', async () => {
    const err = await failure(
      list({ entityId: 'x', actor: 'a'.repeat(201), startTime: new Date('2030-01-02Z'), endTime: new Date('2030-01-01Z'), pageSize: -1 }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations).toEqual([
      { field: 'actor', reason: 'TOO_LONG' },
      { field: 'entity_type', reason: 'FIELD_REQUIRED' },
      { field: 'end_time', reason: 'INVALID_RANGE' },
      { field: 'page_size', reason: 'INVALID_PAGE_SIZE' },
    ]);
  });

  it('when a page_token is replayed with another filter, then INVALID_ARGUMENT names page_token', async () => {
    const entityId = uuidv7();
    for (let i = 0; i < 2; i++) await insertEntry({ entityId, at: '2028-01-01T00:00:00Z' });
    const { nextPageToken } = await list({ entityType: 'thing', entityId, pageSize: 1 });
    expect(nextPageToken).not.toBe('');

    const err = await failure(list({ entityType: 'thing', entityId: uuidv7(), pageSize: 1, pageToken: nextPageToken }));

    expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
  });
});
