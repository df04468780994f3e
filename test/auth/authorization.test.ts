import { randomUUID } from 'node:crypto';
import { type Metadata, status } from '@grpc/grpc-js';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { PaymentServiceClient } from '../../generated/campus/billing/v1/payment.js';
import { CatalogServiceClient, ListCatalogItemsRequest } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { ForumServiceClient } from '../../generated/campus/forum/v1/forum.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import type { AccessLookups } from '../../src/auth/access-lookups.js';
import { createAuthorizer } from '../../src/auth/authorizer.js';
import { DomainError } from '../../src/errors/domain-error.js';
import { createUser } from '../support/builders.js';
import { rawClient } from '../support/databases.js';
import { anonymous, call, connectAnonymous, failure } from '../support/grpc.js';
import { installQueryCapture } from '../support/query-capture.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery';
const capture = installQueryCapture();
let server: TestServer;
let db: pg.Client;
let users: UserServiceClient;
let catalog: CatalogServiceClient;
let enrollments: EnrollmentServiceClient;
let payments: PaymentServiceClient;
let forum: ForumServiceClient;

interface Person {
  readonly id: string;
  readonly as: Metadata;
}
let alice: Person;
let bob: Person;
let teacher: Person;
let otherTeacher: Person;

useTestServer({ hookTimeoutMs: 60_000 }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await db?.end();
    capture.uninstall();
  });
  db = await rawClient(server.config.databaseUrl ?? '');
  users = scope.connect(UserServiceClient);
  catalog = scope.connect(CatalogServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  payments = scope.connect(PaymentServiceClient);
  forum = scope.connect(ForumServiceClient);
  const person = async (role: Role): Promise<Person> => {
    const user = await createUser(users, { role }, PASSWORD);
    return { id: user.id, as: await server.signIn(user.email, PASSWORD) };
  };
  [alice, bob, teacher, otherTeacher] = await Promise.all([
    person(Role.ROLE_STUDENT),
    person(Role.ROLE_STUDENT),
    person(Role.ROLE_INSTRUCTOR),
    person(Role.ROLE_INSTRUCTOR),
  ]);
});

/** A published item with one lesson, taught by `teacher`, written straight to PostgreSQL. */
async function publishedItem(price = 0n): Promise<{ id: string; lessonId: string }> {
  const id = uuidv7();
  const lessonId = uuidv7();
  await db.query(
    `insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time)
     values ($1, 'Things', 'About things', $2, 'EUR', true, $3, now(), now())`,
    [id, price.toString(), teacher.id],
  );
  await db.query(
    `insert into lessons (id, catalog_item_id, title, position, create_time, update_time) values ($1, $2, 'One', 1, now(), now())`,
    [lessonId, id],
  );
  return { id, lessonId };
}

async function writes(): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `select (select count(*)::int from audit_log) as audit,
            (select count(*)::int from idempotency_records) as idempotency,
            (select count(*)::int from enrollments where status = 'cancelled') as cancelled,
            (select count(*)::int from payments where status = 'refunded') as refunded`,
  );
  return rows[0] ?? {};
}

describe('owned resources', () => {
  it("when a student cancels another's enrollment or refunds their payment, then PERMISSION_DENIED and nothing is written", async () => {
    const item = await publishedItem(2500n);
    const enrollment = await call(enrollments.enroll, enrollments, { userId: alice.id, catalogItemId: item.id, requestId: randomUUID() });
    const [payment] = (await call(payments.listPayments, payments, { userId: alice.id, pageSize: 0, pageToken: '' })).payments;
    const before = await writes();

    const cancel = await failure(
      call(enrollments.cancelEnrollment, enrollments, { id: enrollment.id, etag: '', requestId: randomUUID() }, bob.as),
    );
    const refund = await failure(
      call(payments.refundPayment, payments, { id: payment?.id ?? '', etag: '', requestId: randomUUID() }, bob.as),
    );

    expect(cancel).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'ACCESS_DENIED' });
    expect(refund).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'ACCESS_DENIED' });
    expect(await writes()).toEqual(before);
    // The owner may, and it is the owner's request that is remembered.
    const cancelled = await call(
      enrollments.cancelEnrollment,
      enrollments,
      { id: enrollment.id, etag: '', requestId: randomUUID() },
      alice.as,
    );
    expect(cancelled.cancelTime).toBeInstanceOf(Date);
  });

  it("when a student reads another's enrollment, payment or progress, then PERMISSION_DENIED; the item's instructor may read them", async () => {
    const item = await publishedItem(900n);
    const enrollment = await call(enrollments.enroll, enrollments, { userId: alice.id, catalogItemId: item.id, requestId: randomUUID() });
    const [payment] = (await call(payments.listPayments, payments, { userId: alice.id, pageSize: 1, pageToken: '' })).payments;
    const progress = { userId: alice.id, catalogItemId: item.id };

    for (const who of [bob, otherTeacher]) {
      expect((await failure(call(enrollments.getEnrollment, enrollments, { id: enrollment.id }, who.as))).code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await failure(call(enrollments.getProgress, enrollments, progress, who.as))).code).toBe(status.PERMISSION_DENIED);
    }
    expect((await failure(call(payments.getPayment, payments, { id: payment?.id ?? '' }, bob.as))).code).toBe(status.PERMISSION_DENIED);
    expect((await call(enrollments.getEnrollment, enrollments, { id: enrollment.id }, teacher.as)).userId).toBe(alice.id);
    expect((await call(enrollments.getProgress, enrollments, progress, teacher.as)).enrollmentId).toBe(enrollment.id);
    expect((await call(payments.getPayment, payments, { id: payment?.id ?? '' }, alice.as)).userId).toBe(alice.id);
  });

  it('when a resource id names nothing, then the owner-check lets the service answer NOT_FOUND', async () => {
    expect((await failure(call(enrollments.cancelEnrollment, enrollments, { id: uuidv7(), etag: '', requestId: '' }, bob.as))).code).toBe(
      status.NOT_FOUND,
    );
    expect((await failure(call(payments.refundPayment, payments, { id: 'not-a-uuid', etag: '', requestId: '' }, bob.as))).code).toBe(
      status.INVALID_ARGUMENT,
    );
  });
});

describe('users', () => {
  it('when a student changes their own role, then PERMISSION_DENIED ADMIN_REQUIRED and the role stays', async () => {
    const withMask = { user: { id: alice.id, name: '', email: '', role: Role.ROLE_ADMIN, etag: '' }, updateMask: ['role'] };
    const withoutMask = { user: { id: alice.id, name: 'Alice', email: '', role: Role.ROLE_ADMIN, etag: '' }, updateMask: [] };
    for (const request of [withMask, withoutMask]) {
      expect(await failure(call(users.updateUser, users, request, alice.as))).toMatchObject({
        code: status.PERMISSION_DENIED,
        reason: 'ADMIN_REQUIRED',
      });
    }
    const renamed = await call(
      users.updateUser,
      users,
      { user: { id: alice.id, name: 'Alice Renamed', email: '', role: Role.ROLE_UNSPECIFIED, etag: '' }, updateMask: ['name'] },
      alice.as,
    );
    expect(renamed).toMatchObject({ name: 'Alice Renamed', role: Role.ROLE_STUDENT });
  });
});

describe('catalog', () => {
  const newItem = (instructorId: string) => ({
    catalogItem: {
      id: '',
      title: 'Mine',
      description: '',
      price: { currencyCode: 'EUR', amountMinor: 0n },
      published: false,
      instructorId,
      etag: '',
    },
  });

  it('when an instructor creates an item naming no instructor, then they teach it; naming another, PERMISSION_DENIED', async () => {
    const mine = await call(catalog.createCatalogItem, catalog, newItem(''), teacher.as);
    expect(mine.instructorId).toBe(teacher.id);
    expect((await failure(call(catalog.createCatalogItem, catalog, newItem(otherTeacher.id), teacher.as))).code).toBe(
      status.PERMISSION_DENIED,
    );
    // An admin naming no one leaves the item without an instructor, as before.
    expect((await call(catalog.createCatalogItem, catalog, newItem(''))).instructorId).toBe('');
  });

  it('when an instructor gives their item away, then PERMISSION_DENIED; another instructor’s unpublished item is NOT_FOUND to them; it is unchanged', async () => {
    const mine = await call(catalog.createCatalogItem, catalog, newItem(''), teacher.as);
    const giveAway = { catalogItem: { ...mine, instructorId: otherTeacher.id }, updateMask: [] };
    expect(await failure(call(catalog.updateCatalogItem, catalog, giveAway, teacher.as))).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'ADMIN_REQUIRED',
    });
    const retitle = { catalogItem: { ...mine, title: 'Theirs now' }, updateMask: ['title'] };
    expect((await failure(call(catalog.updateCatalogItem, catalog, retitle, otherTeacher.as))).code).toBe(status.NOT_FOUND);
    expect(await call(catalog.getCatalogItem, catalog, { id: mine.id })).toMatchObject({ title: 'Mine', instructorId: teacher.id });
    expect((await call(catalog.updateCatalogItem, catalog, retitle, teacher.as)).title).toBe('Theirs now');
  });

  it('when students or anonymous callers list the catalog, then they must ask for published items; instructors also list their own', async () => {
    const all = ListCatalogItemsRequest.fromPartial({});
    expect((await failure(call(catalog.listCatalogItems, catalog, all, alice.as))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(call(catalog.listCatalogItems, catalog, all, anonymous()))).code).toBe(status.UNAUTHENTICATED);
    const published = ListCatalogItemsRequest.fromPartial({ published: true });
    expect((await call(catalog.listCatalogItems, catalog, published, anonymous())).catalogItems.every((i) => i.published)).toBe(true);
    const own = ListCatalogItemsRequest.fromPartial({ instructorId: teacher.id });
    expect((await call(catalog.listCatalogItems, catalog, own, teacher.as)).catalogItems.length).toBeGreaterThan(0);
  });
});

describe('forum', () => {
  it('when a forum request names someone else as the actor or author, then PERMISSION_DENIED', async () => {
    const item = await publishedItem();
    await call(enrollments.enroll, enrollments, { userId: alice.id, catalogItemId: item.id, requestId: randomUUID() });
    const thread = await call(
      forum.createThread,
      forum,
      { catalogItemId: item.id, authorId: alice.id, title: 'Hi', body: 'Hello' },
      alice.as,
    );
    const asBob = { id: thread.openingPostId, etag: '', actorId: alice.id };
    expect(await failure(call(forum.deletePost, forum, asBob, bob.as))).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'ACTOR_NOT_CALLER',
    });
    const post = { threadId: thread.id, authorId: alice.id, body: 'As Alice', parentPostId: '' };
    expect((await failure(call(forum.createPost, forum, post, bob.as))).code).toBe(status.PERMISSION_DENIED);
    // The item's instructor moderates.
    const deleted = await call(forum.deletePost, forum, { id: thread.openingPostId, etag: '', actorId: teacher.id }, teacher.as);
    expect(deleted.deleteTime).toBeInstanceOf(Date);
  });
});

describe('default deny', () => {
  const noLookups = new Proxy({} as AccessLookups, {
    get: () => () => Promise.reject(new Error('a method without a rule must not look anything up')),
  });
  const authorize = createAuthorizer({}, noLookups);
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    return err instanceof DomainError ? [err.kind, err.reason] : err;
  };

  it('when a method has no rule, then anonymous callers get UNAUTHENTICATED and everyone else PERMISSION_DENIED', async () => {
    const method = '/campus.identity.v1.UserService/NewMethod';
    expect(await refusal(authorize({ kind: 'anonymous', id: 'anonymous' }, method, {}))).toEqual([
      'UNAUTHENTICATED',
      'NO_AUTHORIZATION_RULE',
    ]);
    for (const role of ['student', 'instructor', 'admin'] as const) {
      const user = { kind: 'user', id: uuidv7(), role, sessionId: uuidv7() } as const;
      expect(await refusal(authorize(user, method, {}))).toEqual(['PERMISSION_DENIED', 'NO_AUTHORIZATION_RULE']);
    }
    const service = { kind: 'service', id: 'everything', methods: ['*'] } as const;
    expect(await refusal(authorize(service, method, {}))).toEqual(['PERMISSION_DENIED', 'NO_AUTHORIZATION_RULE']);
  });

  it('when health is asked anonymously, then it answers: it is not behind the rule table', async () => {
    const health = connectAnonymous(HealthClient, server.port);
    try {
      expect((await call(health.check, health, { service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      health.close();
    }
  });
});

describe('cost on the hot read paths', () => {
  it('when a student reads their user, their progress, a published item and the published catalog, then no statement is added', async () => {
    const item = await publishedItem();
    await call(enrollments.enroll, enrollments, { userId: alice.id, catalogItemId: item.id, requestId: randomUUID() });
    const reads = (as: Metadata) => async () => {
      await call(users.getUser, users, { id: alice.id }, as);
      await call(enrollments.getProgress, enrollments, { userId: alice.id, catalogItemId: item.id }, as);
      await call(catalog.getCatalogItem, catalog, { id: item.id }, as);
      await call(catalog.listCatalogItems, catalog, ListCatalogItemsRequest.fromPartial({ published: true, pageSize: 5 }), as);
    };
    // Warm both sessions' cache entries first: only the reads themselves are counted.
    const admin = await server.asAdmin();
    await reads(admin)();
    await reads(alice.as)();
    const asAdmin = await capture.record(reads(admin));
    const asStudent = await capture.record(reads(alice.as));
    expect(asStudent.map((q) => q.text)).toEqual(asAdmin.map((q) => q.text));
    expect(asStudent.length).toBeGreaterThan(0);
    // Nor does a cold read: none of the statements is an owner lookup.
    const cold = await publishedItem();
    await call(enrollments.enroll, enrollments, { userId: alice.id, catalogItemId: cold.id, requestId: randomUUID() });
    const coldReads = await capture.record(async () => {
      await call(enrollments.getProgress, enrollments, { userId: alice.id, catalogItemId: cold.id }, alice.as);
      await call(catalog.getCatalogItem, catalog, { id: cold.id }, alice.as);
    });
    expect(
      coldReads.filter((q) => /select (c\.)?instructor_id from|select user_id from payments|e\.user_id, c\.instructor_id/.test(q.text)),
    ).toEqual([]);
    expect(coldReads.length).toBeGreaterThan(0);
  });
});
