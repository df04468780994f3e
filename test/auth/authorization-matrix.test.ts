import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createFileRegistry, type DescMethod, fromBinary, fromJson, type JsonObject, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForumServiceClient } from '../../generated/campus/forum/v1/forum.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { COLUMNS, type Column, type Grant, RELATIONS, type Relation } from '../../src/auth/access-rule.js';
import { methodAllowed } from '../../src/auth/method-allowed.js';
import { renderRuleTable, SECURITY_DOC, withRuleTable } from '../../src/auth/rule-table-doc.js';
import { ruleTableOf } from '../../src/auth/rules.js';
import { MODULES } from '../../src/modules.js';
import { createUser } from '../support/builders.js';
import { rawClient } from '../support/databases.js';
import { bearer, call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Every RPC of every service, enumerated from generated/descriptor.binpb,
 * called as an anonymous caller, two students, two instructors, an admin and
 * a service; refused (UNAUTHENTICATED or PERMISSION_DENIED) exactly where the
 * rule table says, and not refused anywhere else. The expectations are
 * computed from the same table docs/security.md is generated from.
 */

const PASSWORD = 'correct horse battery';
const SERVICE_TOKEN = randomBytes(32).toString('base64url');
/** Some methods, whole services and single ones, so that both sides of the method list are called. */
const SERVICE_METHODS = [
  'campus.identity.v1.UserService/*',
  'campus.identity.v1.AuthService/Logout',
  'campus.catalog.v1.CatalogService/GetCatalogItem',
  'campus.catalog.v1.CatalogService/UpdateCatalogItem',
  'campus.enrollment.v1.EnrollmentService/Enroll',
  'campus.billing.v1.PaymentService/RefundPayment',
  'campus.audit.v1.AuditService/*',
  'campus.forum.v1.ForumService/UpdatePost',
  'campus.analytics.v1.AnalyticsService/RecordEvents',
];

const rules = ruleTableOf(MODULES, { allowSignup: true });
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, await readFile('generated/descriptor.binpb')));
/** Every method of our contracts, from the descriptors. */
const METHODS: { path: string; name: string; desc: DescMethod }[] = [...registry]
  .filter((type) => type.kind === 'service' && type.typeName.startsWith('campus.'))
  .flatMap((service) => (service.kind === 'service' ? service.methods : []))
  .map((desc) => ({ path: `/${desc.parent.typeName}/${desc.name}`, name: `${desc.parent.name}/${desc.name}`, desc }));

interface Actor {
  readonly name: string;
  readonly column: Column;
  /** Set for users. */
  readonly userId?: string;
  /** The credentials of a call; a fresh session for Logout. */
  metadata(fresh?: boolean): Promise<Metadata>;
}

/** Who the called-upon resources belong to; `owner` and `teacher` are user ids. */
interface Facts {
  readonly owner?: string;
  readonly teacher?: string;
  readonly public?: boolean;
  readonly signup?: boolean;
  readonly new_student?: boolean;
  readonly learner?: string;
  /** The catalog item the call hangs off is unpublished: hidden from all but its teacher, admins and services. */
  readonly hidden?: boolean;
}

interface Case {
  readonly request: JsonObject;
  readonly facts?: Facts;
  /** Whether the call needs a fresh session (Logout ends the one it carries). */
  readonly freshSession?: boolean;
}

type CaseBuilder = (actor: Actor) => Promise<Case[]>;

let server: TestServer;
let db: pg.Client;
let raw: Client;
const actors: Actor[] = [];
const world = {
  studentA: '',
  emailA: '',
  instructorI: '',
  item: '',
  lesson: '',
  unpublished: '',
  enrollment: '',
  payment: '',
  thread: '',
  post: '',
  cover: '',
  material: '',
  hiddenAsset: '',
};

beforeAll(async () => {
  server = await startTestServer({
    SERVICE_TOKENS: JSON.stringify([
      { name: 'matrix-worker', sha256: createHash('sha256').update(SERVICE_TOKEN).digest('hex'), methods: SERVICE_METHODS },
    ]),
  });
  db = await rawClient(server.config.databaseUrl ?? '');
  raw = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const users = connect(UserServiceClient, server.port);
  const user = async (name: string, column: 'student' | 'instructor') => {
    const role = column === 'student' ? Role.ROLE_STUDENT : Role.ROLE_INSTRUCTOR;
    const made = await createUser(users, { name, role }, PASSWORD);
    const session = await server.signIn(made.email, PASSWORD);
    const actor: Actor = {
      name,
      column,
      userId: made.id,
      metadata: async (fresh) => (fresh ? server.signIn(made.email, PASSWORD) : session),
    };
    return { actor, email: made.email };
  };
  const a = await user('student A', 'student');
  const b = await user('student B', 'student');
  const i = await user('instructor I', 'instructor');
  const j = await user('instructor J', 'instructor');
  users.close();
  const admin = await server.asAdmin();
  actors.push(
    { name: 'anonymous', column: 'anonymous', metadata: async () => new Metadata() },
    a.actor,
    b.actor,
    i.actor,
    j.actor,
    {
      name: 'admin',
      column: 'admin',
      userId: server.admin.id,
      metadata: async (fresh) => (fresh ? server.signIn(server.admin.email, server.admin.password) : admin),
    },
    { name: 'service', column: 'service', metadata: async () => bearer(SERVICE_TOKEN) },
  );
  world.studentA = a.actor.userId ?? '';
  world.emailA = a.email;
  world.instructorI = i.actor.userId ?? '';

  const main = await item({ published: true, lessons: 2, price: 4900n });
  world.item = main.id;
  world.lesson = main.lessons[0] ?? '';
  world.unpublished = (await item({ published: false, lessons: 1 })).id;
  world.enrollment = await enroll(main.id);
  world.payment = await paymentOf(world.enrollment);
  const forum = connect(ForumServiceClient, server.port);
  const thread = await call(forum.createThread, forum, { catalogItemId: main.id, authorId: world.studentA, title: 'Hello', body: 'First' });
  forum.close();
  world.thread = thread.id;
  world.post = thread.openingPostId;
  world.cover = await asset(main.id, null);
  world.material = await asset(main.id, world.lesson);
  world.hiddenAsset = await asset(world.unpublished, null);
}, 60_000);

afterAll(async () => {
  raw?.close();
  await db?.end();
  await server?.close();
});

/** A catalog item taught by instructor I, written straight to PostgreSQL. */
async function item(o: { published: boolean; lessons?: number; price?: bigint }): Promise<{ id: string; lessons: string[] }> {
  const id = uuidv7();
  await db.query(
    `insert into catalog_items (id, title, description, price_amount, currency, published, instructor_id, create_time, update_time)
     values ($1, 'A course on things', 'About things', $2, 'EUR', $3, $4, now(), now())`,
    [id, (o.price ?? 0n).toString(), o.published, world.instructorI],
  );
  const lessons: string[] = [];
  for (let position = 1; position <= (o.lessons ?? 0); position++) {
    const lesson = uuidv7();
    await db.query(
      `insert into lessons (id, catalog_item_id, title, position, create_time, update_time) values ($1, $2, 'A lesson', $3, now(), now())`,
      [lesson, id, position],
    );
    lessons.push(lesson);
  }
  return { id, lessons };
}

/** A READY asset of the item (a lesson's material when `lessonId` is set), written straight to PostgreSQL. */
async function asset(catalogItemId: string, lessonId: string | null): Promise<string> {
  const id = uuidv7();
  const sha256 = createHash('sha256').update(id).digest('hex');
  await db.query(
    `insert into assets (id, catalog_item_id, lesson_id, kind, content_type, size_bytes, sha256, object_key, status, create_time, update_time)
     values ($1, $2, $3, 'image', 'image/png', 10, $4, $5, 'ready', now(), now())`,
    [id, catalogItemId, lessonId, sha256, `${lessonId ? 'private' : 'public'}/${sha256}/${id}.png`],
  );
  return id;
}

/** Student A enrolled in the item, through the API as the admin (a priced item is charged). */
async function enroll(itemId: string): Promise<string> {
  const res = await invoke('/campus.enrollment.v1.EnrollmentService/Enroll', await server.asAdmin(), {
    userId: world.studentA,
    catalogItemId: itemId,
    requestId: randomUUID(),
  });
  if (res.code !== status.OK) throw new Error(`fixture enrollment failed with ${res.code}: ${res.message}`);
  const { rows } = await db.query<{ id: string }>('select id from enrollments where user_id = $1 and catalog_item_id = $2', [
    world.studentA,
    itemId,
  ]);
  return rows[0]?.id ?? '';
}

async function paymentOf(enrollmentId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('select id from payments where enrollment_id = $1', [enrollmentId]);
  return rows[0]?.id ?? '';
}

/** A post by student A in the fixture thread. */
async function postByA(): Promise<string> {
  const forum = connect(ForumServiceClient, server.port);
  try {
    return (await call(forum.createPost, forum, { threadId: world.thread, authorId: world.studentA, body: 'Another', parentPostId: '' }))
      .id;
  } finally {
    forum.close();
  }
}

/** One call by path, its request given as proto JSON and encoded from the descriptors. */
function invoke(path: string, metadata: Metadata, request: JsonObject): Promise<{ code: status; message: string }> {
  const method = METHODS.find((m) => m.path === path);
  if (!method) throw new Error(`no method ${path} in the descriptors`);
  const body = Buffer.from(toBinary(method.desc.input, fromJson(method.desc.input, request, { registry })));
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      {},
      (err) => resolve(err ? { code: err.code, message: err.details } : { code: status.OK, message: '' }),
    );
  });
}

const A = () => world.studentA;
const I = () => world.instructorI;
const one = (request: JsonObject, facts: Facts = {}): Promise<Case[]> => Promise.resolve([{ request, facts }]);
const now = () => new Date().toISOString();
/** Who a forum request names as asking: students and instructors themselves; admins and services act for the author. */
const asker = (actor: Actor) => (actor.column === 'student' || actor.column === 'instructor' ? (actor.userId ?? '') : A());

/**
 * A request per method (several where the answer depends on the resource),
 * and the facts of the world it touches. Resources a call changes or
 * removes are made afresh for each call.
 */
const CASES: Readonly<Record<string, CaseBuilder>> = {
  'UserService/CreateUser': () =>
    one(
      {
        user: { name: 'New Person', email: `new.${randomBytes(6).toString('hex')}@example.test`, role: 'ROLE_STUDENT' },
        password: PASSWORD,
      },
      { signup: true, new_student: true },
    ),
  'UserService/GetUser': () => one({ id: A() }, { owner: A() }),
  'UserService/BatchGetUsers': () => one({ ids: [A()] }, { owner: A() }),
  'UserService/ListUsers': () => one({ pageSize: 1 }),
  'UserService/UpdateUser': () => one({ user: { id: A(), name: 'Ada Renamed' }, updateMask: 'name' }, { owner: A() }),
  'UserService/DeleteUser': async () => {
    const users = connect(UserServiceClient, server.port);
    const victim = await createUser(users, {}, PASSWORD);
    users.close();
    return [{ request: { id: victim.id }, facts: { owner: victim.id } }];
  },
  'AuthService/Login': () => one({ email: world.emailA, password: PASSWORD }),
  'AuthService/Logout': async () => [{ request: {}, freshSession: true }],
  'AuthService/WhoAmI': () => one({}),

  'CatalogService/CreateCatalogItem': () =>
    one({ catalogItem: { title: 'New course', price: { currencyCode: 'EUR', amountMinor: '0' }, instructorId: I() } }, { teacher: I() }),
  'CatalogService/GetCatalogItem': async () => [
    { request: { id: world.item }, facts: { public: true, teacher: I() } },
    { request: { id: world.unpublished }, facts: { teacher: I() } },
  ],
  'CatalogService/BatchGetCatalogItems': async () => [
    { request: { ids: [world.item] }, facts: { public: true, teacher: I() } },
    { request: { ids: [world.item, world.unpublished] }, facts: { teacher: I() } },
  ],
  'CatalogService/ListCatalogItems': async (): Promise<Case[]> => [
    { request: { published: true }, facts: { public: true } },
    { request: { instructorId: I() }, facts: { teacher: I() } },
  ],
  'CatalogService/UpdateCatalogItem': async () => {
    const { id } = await item({ published: false });
    return [{ request: { catalogItem: { id, title: 'Renamed course' }, updateMask: 'title' }, facts: { teacher: I(), hidden: true } }];
  },
  'CatalogService/DeleteCatalogItem': async () => [
    { request: { id: (await item({ published: false })).id }, facts: { teacher: I(), hidden: true } },
  ],
  'CatalogService/PublishCatalogItem': async () => [
    { request: { id: (await item({ published: false, lessons: 1 })).id }, facts: { teacher: I(), hidden: true } },
  ],
  'CatalogService/UnpublishCatalogItem': async () => [
    { request: { id: (await item({ published: true, lessons: 1 })).id }, facts: { teacher: I() } },
  ],
  'CatalogService/SearchCatalogItems': () => one({ query: 'things' }, { public: true }),
  'CatalogService/CreateLesson': async () => [
    {
      request: { catalogItemId: (await item({ published: false })).id, lesson: { title: 'Intro', position: 1 } },
      facts: { teacher: I(), hidden: true },
    },
  ],
  'CatalogService/ListLessons': async () => [
    { request: { catalogItemId: world.item }, facts: { public: true, teacher: I() } },
    { request: { catalogItemId: world.unpublished }, facts: { teacher: I() } },
  ],
  'CatalogService/UpdateLesson': async () => {
    const { lessons } = await item({ published: false, lessons: 1 });
    return [
      {
        request: { lesson: { id: lessons[0] ?? '', title: 'Renamed lesson' }, updateMask: 'title' },
        facts: { teacher: I(), hidden: true },
      },
    ];
  },
  'CatalogService/DeleteLesson': async () => {
    const { lessons } = await item({ published: false, lessons: 1 });
    return [{ request: { id: lessons[0] ?? '' }, facts: { teacher: I(), hidden: true } }];
  },

  'EnrollmentService/Enroll': async () => {
    const { id } = await item({ published: true, lessons: 1 });
    return [{ request: { userId: A(), catalogItemId: id, requestId: randomUUID() }, facts: { owner: A(), teacher: I() } }];
  },
  'EnrollmentService/GetEnrollment': () => one({ id: world.enrollment }, { owner: A(), teacher: I() }),
  'EnrollmentService/ListEnrollments': async (): Promise<Case[]> => [
    { request: { userId: A() }, facts: { owner: A() } },
    { request: { catalogItemId: world.item }, facts: { teacher: I() } },
  ],
  'EnrollmentService/CancelEnrollment': async () => {
    const { id } = await item({ published: true, lessons: 1 });
    return [{ request: { id: await enroll(id), requestId: randomUUID() }, facts: { owner: A(), teacher: I() } }];
  },
  'EnrollmentService/RecordLessonCompletion': () => one({ userId: A(), lessonId: world.lesson }, { owner: A(), teacher: I() }),
  'EnrollmentService/GetProgress': () => one({ userId: A(), catalogItemId: world.item }, { owner: A(), teacher: I() }),

  'PaymentService/GetPayment': () => one({ id: world.payment }, { owner: A(), teacher: I() }),
  'PaymentService/ListPayments': () => one({ userId: A() }, { owner: A() }),
  'PaymentService/RefundPayment': async () => {
    const { id } = await item({ published: true, lessons: 1, price: 1500n });
    return [{ request: { id: await paymentOf(await enroll(id)) }, facts: { owner: A(), teacher: I() } }];
  },

  'AuditService/ListAuditEntries': () => one({ pageSize: 1 }),

  'ForumService/CreateThread': () =>
    one({ catalogItemId: world.item, authorId: A(), title: 'A question', body: 'How?' }, { owner: A(), teacher: I() }),
  'ForumService/GetThread': () => one({ id: world.thread }),
  'ForumService/ListThreads': () => one({ catalogItemId: world.item }),
  'ForumService/CreatePost': () => one({ threadId: world.thread, authorId: A(), body: 'An answer' }, { owner: A(), teacher: I() }),
  'ForumService/ListPosts': () => one({ threadId: world.thread }),
  'ForumService/UpdatePost': async (actor) => [
    {
      request: { post: { id: world.post, body: 'Edited' }, updateMask: 'body', actorId: asker(actor) },
      facts: { owner: A(), teacher: I() },
    },
  ],
  'ForumService/DeletePost': async (actor) => [
    { request: { id: await postByA(), actorId: asker(actor) }, facts: { owner: A(), teacher: I() } },
  ],

  'AnalyticsService/RecordEvents': () =>
    one(
      { events: [{ type: 'EVENT_TYPE_LESSON_VIEWED', userId: A(), catalogItemId: world.item, lessonId: world.lesson, occurTime: now() }] },
      { owner: A() },
    ),
  'AssetService/CreateAsset': () =>
    one(
      {
        asset: { catalogItemId: world.item, kind: 'ASSET_KIND_IMAGE', contentType: 'image/png', sizeBytes: '3', sha256: 'a'.repeat(64) },
        requestId: randomUUID(),
      },
      { teacher: I() },
    ),
  'AssetService/CompleteAssetUpload': () => one({ id: world.cover }, { teacher: I() }),
  'AssetService/GetAsset': async (): Promise<Case[]> => [
    { request: { id: world.cover }, facts: { public: true, teacher: I() } },
    { request: { id: world.material }, facts: { learner: A(), teacher: I() } },
    { request: { id: world.hiddenAsset }, facts: { teacher: I() } },
  ],
  'AssetService/ListAssets': async (): Promise<Case[]> => [
    { request: { catalogItemId: world.item }, facts: { public: true, teacher: I() } },
    { request: { catalogItemId: world.item, lessonId: world.lesson }, facts: { learner: A(), teacher: I() } },
    { request: { catalogItemId: world.unpublished }, facts: { teacher: I() } },
  ],
  'AssetService/GetAssetUrl': async (): Promise<Case[]> => [
    { request: { id: world.cover }, facts: { public: true, teacher: I() } },
    { request: { id: world.material }, facts: { learner: A(), teacher: I() } },
  ],
  'AssetService/BatchGetAssetUrls': () => one({ lessonId: world.lesson }, { learner: A(), teacher: I() }),
  'AssetService/DeleteAsset': async () => [{ request: { id: await asset(world.item, null) }, facts: { teacher: I() } }],

  'AnalyticsService/GetCourseEngagement': () =>
    one(
      { catalogItemId: world.item, startTime: new Date(Date.now() - 86_400_000).toISOString(), endTime: now() },
      { owner: A(), teacher: I() },
    ),
};

/** Whether the rule table lets this actor make this call in a world with these facts. */
function allowed(path: string, actor: Actor, facts: Facts): boolean {
  const rule = rules[path];
  if (!rule) return false;
  if (actor.column === 'service' && !methodAllowed(SERVICE_METHODS, path)) return false;
  const grant: Grant = rule[actor.column];
  if (grant === 'all' || grant === 'none') return grant === 'all';
  return grant.some((relation) => holds(relation, actor, facts));
}

/** The code a refusal of this actor must have: NOT_FOUND where the service hides what the caller may not see. */
function refusalOf(path: string, actor: Actor, facts: Facts): status {
  const rule = rules[path];
  const mayCall = !(actor.column === 'service' && !methodAllowed(SERVICE_METHODS, path));
  // The item visibility rule comes before the grants: a hidden item is missing to whoever may not see it.
  const seesHidden =
    actor.column === 'admin' || actor.column === 'service' || (actor.userId !== undefined && actor.userId === facts.teacher);
  if (rule?.onItem && facts.hidden && mayCall && !seesHidden) return status.NOT_FOUND;
  const byRelations = rule !== undefined && Array.isArray(rule[actor.column]);
  if (rule?.refusedAsNotFound && byRelations && mayCall) {
    return status.NOT_FOUND;
  }
  return actor.column === 'anonymous' ? status.UNAUTHENTICATED : status.PERMISSION_DENIED;
}

function holds(relation: Relation, actor: Actor, facts: Facts): boolean {
  if (relation === 'owner' || relation === 'teacher' || relation === 'learner')
    return actor.userId !== undefined && facts[relation] === actor.userId;
  return facts[relation] === true;
}

describe('the rule table', () => {
  it('when the descriptors are read, then every RPC of every service has a rule and every rule an RPC', () => {
    expect(METHODS.length).toBeGreaterThan(40);
    expect(METHODS.filter((m) => !rules[m.path]).map((m) => m.name)).toEqual([]);
    expect(Object.keys(rules).filter((path) => !METHODS.some((m) => m.path === path))).toEqual([]);
  });

  it('when a grant names a relation, then the rule says how to decide it', () => {
    const undecided = Object.entries(rules).flatMap(([path, rule]) =>
      COLUMNS.flatMap((column) => {
        const grant = rule[column];
        if (grant === 'all' || grant === 'none') return [];
        return grant
          .filter((r) => !rule.before?.[r] && !rule.after?.[r] && !rule.byService?.includes(r))
          .map((r) => `${path} ${column} ${r}`);
      }),
    );
    expect(undecided).toEqual([]);
    expect(RELATIONS.length).toBe(6);
  });

  it('when the table is rendered, then docs/security.md holds exactly it', async () => {
    const document = await readFile(SECURITY_DOC, 'utf8');
    expect(withRuleTable(document, renderRuleTable(rules))).toBe(document);
    for (const m of METHODS) expect(document).toContain(`| \`${m.name}\` |`);
  });
});

describe('every RPC as every kind of caller', () => {
  it('when each method is called by each actor, then it is refused exactly where the rule table says', async () => {
    const wrong: string[] = [];
    const ownerFailures: string[] = [];
    let calls = 0;
    for (const method of METHODS) {
      const build = CASES[method.name];
      if (!build) {
        wrong.push(`${method.name}: no case in this test`);
        continue;
      }
      for (const actor of actors) {
        for (const c of await build(actor)) {
          const facts = c.facts ?? {};
          const expectAllowed = allowed(method.path, actor, facts);
          const { code, message } = await invoke(method.path, await actor.metadata(c.freshSession), c.request);
          calls++;
          const refused = code === status.UNAUTHENTICATED || code === status.PERMISSION_DENIED;
          const refusal = refusalOf(method.path, actor, facts);
          const what = `${method.name} as ${actor.name} ${JSON.stringify(c.request).slice(0, 80)}`;
          if (expectAllowed && (refused || (code === status.NOT_FOUND && rules[method.path]?.refusedAsNotFound)))
            wrong.push(`${what}: allowed by the table, refused with ${status[code]} (${message})`);
          if (!expectAllowed && code !== refusal) wrong.push(`${what}: refused by the table, got ${status[code]} (${message})`);
          const owner = actor.userId !== undefined && (actor.userId === facts.owner || actor.userId === facts.teacher);
          if (expectAllowed && owner && code !== status.OK) ownerFailures.push(`${what}: ${status[code]} (${message})`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // The owners' calls are valid requests that succeed, not just calls that were let through.
    expect(ownerFailures).toEqual([]);
    expect(calls).toBeGreaterThan(METHODS.length * actors.length);
  }, 120_000);
});
