import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AuditServiceClient, ListAuditEntriesRequest } from '../../generated/campus/audit/v1/audit.js';
import { ListPaymentsRequest, PaymentServiceClient } from '../../generated/campus/billing/v1/payment.js';
import {
  CatalogServiceClient,
  ListCatalogItemsRequest,
  ListLessonsRequest,
  SearchCatalogItemsRequest,
} from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient, ListEnrollmentsRequest } from '../../generated/campus/enrollment/v1/enrollment.js';
import { ListUsersRequest, Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { rawClient } from '../support/databases.js';
import { call, connect } from '../support/grpc.js';
import { type CapturedQuery, explain, installQueryCapture } from '../support/query-capture.js';
import { seed } from '../support/seed.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * Every list and lookup the service runs, EXPLAINed as issued, over 100k+ rows:
 * none may read a large table by a sequential scan.
 */
const LARGE_TABLES = ['users', 'catalog_items', 'lessons', 'enrollments', 'lesson_progress', 'payments', 'audit_log'];

const capture = installQueryCapture();
let server: TestServer;
let db: pg.Client;
const ids = { user: '', instructor: '', item: '', lesson: '', enrollment: '', payment: '', freshItem: '', freshLesson: '' };

useTestServer({ hookTimeoutMs: 180_000 }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await db?.end();
    capture.uninstall();
  });
  db = await rawClient(server.config.databaseUrl ?? '');
  await seed(db);
  const one = async (sql: string) => ((await db.query<{ id: string }>(sql)).rows[0]?.id ?? '') as string;
  ids.enrollment = await one('select id from enrollments order by id limit 1');
  ids.user = await one(`select user_id id from enrollments where id = '${ids.enrollment}'`);
  ids.item = await one(`select catalog_item_id id from enrollments where id = '${ids.enrollment}'`);
  ids.lesson = await one(`select id from lessons where catalog_item_id = '${ids.item}' and position = 2`);
  ids.payment = await one('select id from payments order by id limit 1');
  ids.instructor = await one(`select id from users where role = 'instructor' limit 1`);
  ids.freshItem = await one(`select id from catalog_items c where published and not exists
    (select 1 from enrollments e where e.catalog_item_id = c.id and e.user_id = '${ids.user}') limit 1`);
});

describe('query plans over 100k+ rows', () => {
  it('when every list and lookup runs, then no large table is read by a sequential scan', async () => {
    const users = connect(UserServiceClient, server.port);
    const catalog = connect(CatalogServiceClient, server.port);
    const enrollment = connect(EnrollmentServiceClient, server.port);
    const payments = connect(PaymentServiceClient, server.port);
    const audit = connect(AuditServiceClient, server.port);
    const queries: CapturedQuery[] = await capture.record(async () => {
      await call(users.getUser, users, { id: ids.user });
      await call(users.batchGetUsers, users, { ids: [ids.user, ids.instructor] });
      const userPage = await call(users.listUsers, users, ListUsersRequest.fromPartial({ pageSize: 20 }));
      await call(users.listUsers, users, ListUsersRequest.fromPartial({ pageSize: 20, pageToken: userPage.nextPageToken }));
      await call(users.listUsers, users, ListUsersRequest.fromPartial({ pageSize: 20, role: Role.ROLE_ADMIN }));

      await call(catalog.getCatalogItem, catalog, { id: ids.item });
      await call(catalog.batchGetCatalogItems, catalog, { ids: [ids.item, ids.freshItem] });
      for (const orderBy of ['', 'title', 'price desc', 'create_time asc']) {
        const page = await call(catalog.listCatalogItems, catalog, ListCatalogItemsRequest.fromPartial({ pageSize: 50, orderBy }));
        await call(
          catalog.listCatalogItems,
          catalog,
          ListCatalogItemsRequest.fromPartial({ pageSize: 50, orderBy, pageToken: page.nextPageToken }),
        );
        await call(catalog.listCatalogItems, catalog, ListCatalogItemsRequest.fromPartial({ pageSize: 50, orderBy, published: true }));
        await call(
          catalog.listCatalogItems,
          catalog,
          ListCatalogItemsRequest.fromPartial({ pageSize: 50, orderBy, instructorId: ids.instructor }),
        );
      }
      // A selective query: one that matches a fifth of the catalog is rightly read by a scan.
      const found = await call(
        catalog.searchCatalogItems,
        catalog,
        SearchCatalogItemsRequest.fromPartial({ query: 'course 12347', pageSize: 20 }),
      );
      expect(found.catalogItems.length).toBeGreaterThan(0);
      await call(catalog.listLessons, catalog, ListLessonsRequest.fromPartial({ catalogItemId: ids.item }));

      await call(enrollment.getEnrollment, enrollment, { id: ids.enrollment });
      const byUser = await call(
        enrollment.listEnrollments,
        enrollment,
        ListEnrollmentsRequest.fromPartial({ userId: ids.user, pageSize: 1 }),
      );
      await call(
        enrollment.listEnrollments,
        enrollment,
        ListEnrollmentsRequest.fromPartial({ userId: ids.user, pageSize: 1, pageToken: byUser.nextPageToken }),
      );
      await call(enrollment.listEnrollments, enrollment, ListEnrollmentsRequest.fromPartial({ catalogItemId: ids.item, pageSize: 20 }));
      await call(enrollment.getProgress, enrollment, { userId: ids.user, catalogItemId: ids.item });
      await call(enrollment.recordLessonCompletion, enrollment, { userId: ids.user, lessonId: ids.lesson });
      const enrolled = await call(enrollment.enroll, enrollment, {
        userId: ids.user,
        catalogItemId: ids.freshItem,
        requestId: randomUUID(),
      });
      await call(enrollment.cancelEnrollment, enrollment, { id: enrolled.id, etag: enrolled.etag, requestId: randomUUID() });

      await call(payments.getPayment, payments, { id: ids.payment });
      await call(payments.listPayments, payments, ListPaymentsRequest.fromPartial({ userId: ids.user }));

      await call(
        audit.listAuditEntries,
        audit,
        ListAuditEntriesRequest.fromPartial({ entityType: 'enrollment', entityId: ids.enrollment }),
      );
      await call(audit.listAuditEntries, audit, ListAuditEntriesRequest.fromPartial({ actor: ids.user }));
      await call(
        audit.listAuditEntries,
        audit,
        ListAuditEntriesRequest.fromPartial({ startTime: new Date(Date.now() - 3_600_000), endTime: new Date(), pageSize: 20 }),
      );
    });
    for (const client of [users, catalog, enrollment, payments, audit]) client.close();

    const reads = queries.filter(
      (q) => /^\s*(select|with)\b/i.test(q.text) && LARGE_TABLES.some((t) => q.text.includes(`"${t}"`) || q.text.includes(` ${t} `)),
    );
    expect(reads.length).toBeGreaterThan(30);
    const offenders: string[] = [];
    for (const q of reads) {
      const plan = await explain(db, q);
      const scanned = plan.seqScans.filter((t) => LARGE_TABLES.includes(t));
      if (scanned.length > 0) offenders.push(`${scanned.join(',')}: ${q.text}`);
    }
    expect(offenders).toEqual([]);
  }, 120_000);
});
