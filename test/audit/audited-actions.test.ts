import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Metadata } from '@grpc/grpc-js';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { AssetServiceClient } from '../../generated/campus/asset/v1/asset.js';
import { AuditServiceClient, ListAuditEntriesRequest } from '../../generated/campus/audit/v1/audit.js';
import { PaymentServiceClient } from '../../generated/campus/billing/v1/payment.js';
import { CatalogServiceClient, CreateLessonRequest } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { AUDIT_BEGIN, AUDIT_END, renderAuditTable } from '../../src/audit/audited-actions.js';
import { SECURITY_DOC, withGenerated } from '../../src/auth/rule-table-doc.js';
import { openPostgres } from '../../src/db/postgres.js';
import { BOOTSTRAP_ACTOR } from '../../src/identity/bootstrap-admin.js';
import { AUDITED_ACTIONS } from '../../src/modules.js';
import { createAsset, upload } from '../asset/asset-support.js';
import { createCatalogItem, createUser, uniqueEmail } from '../support/builders.js';
import { createTestDatabase, rawClient } from '../support/databases.js';
import { anonymous, bearer, call } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery';
let server: TestServer;
let admin: Metadata;
let users: UserServiceClient;
let auth: AuthServiceClient;
let catalog: CatalogServiceClient;
let enrollments: EnrollmentServiceClient;
let payments: PaymentServiceClient;
let audit: AuditServiceClient;
let assetClient: AssetServiceClient;

useTestServer({}, async (s, scope) => {
  server = s;
  admin = await server.asAdmin();
  users = scope.connect(UserServiceClient);
  auth = scope.connectAnonymous(AuthServiceClient);
  catalog = scope.connect(CatalogServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  payments = scope.connect(PaymentServiceClient);
  audit = scope.connect(AuditServiceClient);
  assetClient = scope.connect(AssetServiceClient);
});

/** Entries as a caller lists them: `[actor, action]` of one entity, oldest first. */
async function entries(filter: Partial<ListAuditEntriesRequest>): Promise<[string, string][]> {
  const page = await call(audit.listAuditEntries, audit, ListAuditEntriesRequest.fromPartial({ pageSize: 100, ...filter }), admin);
  return page.auditEntries.map((e) => [e.actor, e.action] as [string, string]).reverse();
}

async function student(): Promise<{ id: string; as: Metadata }> {
  const user = await createUser(users, { role: Role.ROLE_STUDENT }, PASSWORD);
  const login = await call(auth.login, auth, { email: user.email, password: PASSWORD });
  return { id: user.id, as: bearer(login.sessionToken) };
}

/** A published item of `price` minor units with `lessons` lessons, made by the admin. */
async function publishedItem(price: bigint, lessons = 1): Promise<{ id: string; lessonIds: string[] }> {
  const item = await createCatalogItem(catalog, { title: 'Audited', price: { currencyCode: 'EUR', amountMinor: price } }, admin);
  const lessonIds: string[] = [];
  for (let position = 1; position <= lessons; position++) {
    const lesson = await call(
      catalog.createLesson,
      catalog,
      CreateLessonRequest.fromPartial({ catalogItemId: item.id, lesson: { title: `L${position}`, position } }),
      admin,
    );
    lessonIds.push(lesson.id);
  }
  await call(catalog.publishCatalogItem, catalog, { id: item.id }, admin);
  return { id: item.id, lessonIds };
}

/** A new student enrolled (by themselves) in a new published item of `price` with one lesson. */
async function enrolled(price: bigint) {
  const learner = await student();
  const item = await publishedItem(price, 1);
  const enrollment = await call(
    enrollments.enroll,
    enrollments,
    { userId: learner.id, catalogItemId: item.id, requestId: randomUUID() },
    learner.as,
  );
  return { learner, item, enrollment };
}

const ADMIN = () => server.admin.id;

/**
 * Each write RPC, what it does, and the entries it must leave (actor and
 * action, on the entity the filter names). Every action of AUDITED_ACTIONS
 * appears at least once (checked below).
 */
const WRITES: readonly [rpc: string, run: () => Promise<{ filter: Partial<ListAuditEntriesRequest>; expected: [string, string][] }>][] = [
  [
    'CreateUser (sign-up)',
    async () => {
      const user = await call(
        users.createUser,
        users,
        { user: { id: '', name: 'Signed Up', email: uniqueEmail(), role: Role.ROLE_STUDENT, etag: '' }, password: PASSWORD },
        anonymous(),
      );
      return { filter: { entityType: 'user', entityId: user.id }, expected: [[user.id, 'user.created']] };
    },
  ],
  [
    'CreateUser (by an admin)',
    async () => {
      const user = await createUser(users, { role: Role.ROLE_INSTRUCTOR });
      return { filter: { entityType: 'user', entityId: user.id }, expected: [[ADMIN(), 'user.created']] };
    },
  ],
  [
    'bootstrap admin at start',
    async () => ({ filter: { entityType: 'user', entityId: ADMIN() }, expected: [[BOOTSTRAP_ACTOR, 'user.created']] }),
  ],
  [
    'UpdateUser',
    async () => {
      const user = await createUser(users);
      const named = await call(users.updateUser, users, { user: { ...user, name: 'Renamed' }, updateMask: ['name'] }, admin);
      await call(users.updateUser, users, { user: { ...named, role: Role.ROLE_INSTRUCTOR }, updateMask: ['role'] }, admin);
      return {
        filter: { entityType: 'user', entityId: user.id },
        expected: [
          [ADMIN(), 'user.created'],
          [ADMIN(), 'user.updated'],
          [ADMIN(), 'user.role_changed'],
        ],
      };
    },
  ],
  [
    'DeleteUser',
    async () => {
      const user = await createUser(users);
      await call(users.deleteUser, users, { id: user.id, etag: user.etag }, admin);
      return {
        filter: { entityType: 'user', entityId: user.id },
        expected: [
          [ADMIN(), 'user.created'],
          [ADMIN(), 'user.deleted'],
        ],
      };
    },
  ],
  [
    'Login and Logout',
    async () => {
      const { id, as } = await student();
      await call(auth.logout, auth, {}, as);
      return {
        filter: { entityType: 'session', actor: id },
        expected: [
          [id, 'session.created'],
          [id, 'session.revoked'],
        ],
      };
    },
  ],
  [
    'revoking every session of a user',
    async () => {
      const { id } = await student();
      expect(await server.app.sessions.revokeAllOfUser(id, ADMIN())).toBe(1);
      const listed = await entries({ entityType: 'session', actor: ADMIN() });
      expect(listed.filter(([, action]) => action === 'session.revoked').length).toBeGreaterThan(0);
      return { filter: { entityType: 'session', actor: id }, expected: [[id, 'session.created']] };
    },
  ],
  [
    'CreateCatalogItem, UpdateCatalogItem, Publish, Unpublish, DeleteCatalogItem',
    async () => {
      const { id } = await publishedItem(0n, 1);
      let item = await call(catalog.unpublishCatalogItem, catalog, { id }, admin);
      item = await call(catalog.updateCatalogItem, catalog, { catalogItem: { ...item, title: 'Retitled' }, updateMask: ['title'] }, admin);
      const [lesson] = (await call(catalog.listLessons, catalog, { catalogItemId: id, pageSize: 10, pageToken: '' }, admin)).lessons;
      if (lesson) await call(catalog.deleteLesson, catalog, { id: lesson.id, etag: lesson.etag }, admin);
      await call(catalog.deleteCatalogItem, catalog, { id, etag: item.etag }, admin);
      return {
        filter: { entityType: 'catalog_item', entityId: id },
        expected: [
          [ADMIN(), 'catalog_item.created'],
          [ADMIN(), 'catalog_item.published'],
          [ADMIN(), 'catalog_item.unpublished'],
          [ADMIN(), 'catalog_item.updated'],
          [ADMIN(), 'catalog_item.deleted'],
        ],
      };
    },
  ],
  [
    'CreateLesson, UpdateLesson, DeleteLesson',
    async () => {
      const { lessonIds } = await publishedItem(0n, 2);
      const id = lessonIds[1] ?? '';
      const [, lesson] = (
        await call(catalog.listLessons, catalog, { catalogItemId: (await lessonItem(id)) ?? '', pageSize: 10, pageToken: '' }, admin)
      ).lessons;
      if (!lesson) throw new Error('no lesson');
      const updated = await call(catalog.updateLesson, catalog, { lesson: { ...lesson, title: 'Renamed' }, updateMask: ['title'] }, admin);
      await call(catalog.deleteLesson, catalog, { id, etag: updated.etag }, admin);
      return {
        filter: { entityType: 'lesson', entityId: id },
        expected: [
          [ADMIN(), 'lesson.created'],
          [ADMIN(), 'lesson.updated'],
          [ADMIN(), 'lesson.deleted'],
        ],
      };
    },
  ],
  [
    'Enroll, RecordLessonCompletion of the last lesson',
    async () => {
      const { learner, item, enrollment } = await enrolled(0n);
      await call(enrollments.recordLessonCompletion, enrollments, { userId: learner.id, lessonId: item.lessonIds[0] ?? '' }, learner.as);
      return {
        filter: { entityType: 'enrollment', entityId: enrollment.id },
        expected: [
          [learner.id, 'enrollment.created'],
          [learner.id, 'enrollment.completed'],
        ],
      };
    },
  ],
  [
    'Enroll in a priced item, CancelEnrollment',
    async () => {
      const { learner, enrollment } = await enrolled(1500n);
      const [payment] = (await call(payments.listPayments, payments, { userId: learner.id, pageSize: 10, pageToken: '' }, admin)).payments;
      await call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, requestId: randomUUID(), etag: '' }, admin);
      const paid = await entries({ entityType: 'payment', entityId: payment?.id ?? '' });
      expect(paid).toEqual([
        [learner.id, 'payment.succeeded'],
        [ADMIN(), 'payment.refunded'],
      ]);
      return {
        filter: { entityType: 'enrollment', entityId: enrollment.id },
        expected: [
          [learner.id, 'enrollment.created'],
          [ADMIN(), 'enrollment.cancelled'],
        ],
      };
    },
  ],
  [
    'RefundPayment',
    async () => {
      const { learner, enrollment } = await enrolled(900n);
      const [payment] = (await call(payments.listPayments, payments, { userId: learner.id, pageSize: 10, pageToken: '' }, admin)).payments;
      await call(payments.refundPayment, payments, { id: payment?.id ?? '', requestId: randomUUID(), etag: '' }, admin);
      expect((await entries({ entityType: 'enrollment', entityId: enrollment.id })).map(([, action]) => action)).toContain(
        'enrollment.cancelled',
      );
      return {
        filter: { entityType: 'payment', entityId: payment?.id ?? '' },
        expected: [
          [learner.id, 'payment.succeeded'],
          [ADMIN(), 'payment.refunded'],
        ],
      };
    },
  ],
  [
    'CreateAsset, CompleteAssetUpload, DeleteAsset',
    async () => {
      const item = await publishedItem(0n);
      const bytes = Buffer.from('audited handout');
      const created = await createAsset(assetClient, admin, { catalogItemId: item.id }, bytes);
      expect((await upload(created, bytes)).ok).toBe(true);
      const id = created.asset?.id ?? '';
      await call(assetClient.completeAssetUpload, assetClient, { id }, admin);
      await call(assetClient.deleteAsset, assetClient, { id, etag: '' }, admin);
      return {
        filter: { entityType: 'asset', entityId: id },
        expected: [
          [ADMIN(), 'asset.created'],
          [ADMIN(), 'asset.completed'],
          [ADMIN(), 'asset.deleted'],
        ],
      };
    },
  ],
  [
    'the sweep of stale PENDING assets',
    async () => {
      const item = await publishedItem(0n);
      const created = await createAsset(assetClient, admin, { catalogItemId: item.id }, Buffer.from('never completed'));
      const id = created.asset?.id ?? '';
      const sql = await rawClient(server.config.databaseUrl ?? '');
      try {
        await sql.query("update assets set create_time = now() - interval '2 days' where id = $1", [id]);
      } finally {
        await sql.end();
      }
      await server.app.assets.job.runOnce();
      return {
        filter: { entityType: 'asset', entityId: id },
        expected: [
          [ADMIN(), 'asset.created'],
          ['system', 'asset.swept'],
        ],
      };
    },
  ],
];

async function lessonItem(lessonId: string): Promise<string | undefined> {
  const sql = await rawClient(server.config.databaseUrl ?? '');
  try {
    const { rows } = await sql.query<{ catalog_item_id: string }>('select catalog_item_id from lessons where id = $1', [lessonId]);
    return rows[0]?.catalog_item_id;
  } finally {
    await sql.end();
  }
}

describe('every write leaves its audit entry', () => {
  it.each(WRITES)('when %s is called, then the audit log lists its entries under a lower-case entity type', async (_rpc, run) => {
    const { filter, expected } = await run();
    expect(await entries(filter)).toEqual(expected);
  });

  it('when the table of writes is read, then it covers every audited action', async () => {
    const seen = new Set<string>();
    const sql = await rawClient(server.config.databaseUrl ?? '');
    try {
      for (const row of (await sql.query<{ action: string; entity_type: string }>('select distinct action, entity_type from audit_log'))
        .rows) {
        seen.add(row.action);
        expect(row.entity_type).toBe(row.action.slice(0, row.action.indexOf('.')));
      }
    } finally {
      await sql.end();
    }
    expect([...seen].sort()).toEqual(Object.keys(AUDITED_ACTIONS).sort());
  });
});

describe('the audited actions in docs', () => {
  it('when the table is rendered, then docs/security.md holds exactly it', async () => {
    const document = await readFile(SECURITY_DOC, 'utf8');
    expect(withGenerated(document, AUDIT_BEGIN, AUDIT_END, renderAuditTable(AUDITED_ACTIONS))).toBe(document);
  });
});

describe('the migration of old session entries', () => {
  it('when entries were written as entity type Session, then after migrating they are session', async () => {
    const db = await createTestDatabase();
    const orm = await openPostgres({ url: db.url, statementTimeoutMs: 60_000 });
    const sql = await rawClient(db.url);
    try {
      await orm.migrator.up({ to: 'Migration20261125005514' });
      const id = uuidv7();
      await sql.query(
        `insert into audit_log (id, actor, action, entity_type, entity_id, diff, create_time) values ($1, $2, 'session.created', 'Session', $3, '{}', now())`,
        [id, uuidv7(), uuidv7()],
      );
      await orm.migrator.up();
      expect((await sql.query('select entity_type from audit_log where id = $1', [id])).rows).toEqual([{ entity_type: 'session' }]);
      // Append-only again.
      await expect(sql.query(`update audit_log set entity_type = 'x' where id = $1`, [id])).rejects.toThrow(/append-only/);
    } finally {
      await sql.end();
      await orm.close();
    }
  });
});
