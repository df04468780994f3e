import { readFile } from 'node:fs/promises';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { ForumServiceClient } from '../../generated/campus/forum/v1/forum.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { BadRequest } from '../../generated/google/rpc/error_details.js';
import { Status } from '../../generated/google/rpc/status.js';
import { CampusRows } from '../support/campus-rows.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * AIP-134 on every Update RPC: no mask changes the fields the request sets
 * and nothing else; `*` replaces every updatable field; paths are accepted as
 * proto names and as the camelCase a JSON client sends; a bad path is
 * INVALID_ARGUMENT whose hint names fields as a JSON client can send them.
 */

let server: TestServer;
let rows: CampusRows;
let catalog: CatalogServiceClient;
let forum: ForumServiceClient;
let users: UserServiceClient;
let instructor: string;
let otherInstructor: string;

useTestServer({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: '0' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await rows?.close();
  });
  rows = await CampusRows.open(server.config.databaseUrl ?? '');
  catalog = scope.connect(CatalogServiceClient);
  forum = scope.connect(ForumServiceClient);
  users = scope.connect(UserServiceClient);
  instructor = await rows.user('instructor');
  otherInstructor = await rows.user('instructor');
});

const EUR = (amountMinor: bigint) => ({ currencyCode: 'EUR', amountMinor });
const noItem = { id: '', title: '', description: '', price: undefined, published: false, instructorId: '', etag: '' };

async function newItem() {
  return call(catalog.createCatalogItem, catalog, {
    catalogItem: { ...noItem, title: 'Databases 101', description: 'Keys and indexes', price: EUR(4900n), instructorId: instructor },
  });
}

async function newLesson() {
  const item = await newItem();
  return call(catalog.createLesson, catalog, {
    catalogItemId: item.id,
    lesson: { id: '', catalogItemId: '', title: 'Primary keys', position: 3, etag: '' },
  });
}

async function newUser() {
  return call(users.createUser, users, {
    user: { id: '', name: 'Ada Lovelace', email: `ada-${Date.now()}-${Math.random()}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
    password: 'correct horse battery',
  });
}

async function newPost() {
  const item = await rows.catalogItem(instructor);
  const thread = await call(forum.createThread, forum, { catalogItemId: item, authorId: instructor, title: 'Keys?', body: 'Which key?' });
  const post = await call(forum.createPost, forum, {
    threadId: thread.id,
    authorId: instructor,
    body: 'The pair.',
    attributes: { codeLanguage: 'sql' },
    parentPostId: '',
  });
  return post;
}

/** Each Update RPC, called with an empty resource but for its id and the given fields. */
const UPDATES = {
  'campus.catalog.v1.CatalogService/UpdateCatalogItem': async (paths: string[] | undefined) => {
    const item = await newItem();
    return call(catalog.updateCatalogItem, catalog, { catalogItem: { ...noItem, id: item.id, title: 'Renamed' }, updateMask: paths });
  },
  'campus.catalog.v1.CatalogService/UpdateLesson': async (paths: string[] | undefined) => {
    const lesson = await newLesson();
    return call(catalog.updateLesson, catalog, {
      lesson: { id: lesson.id, catalogItemId: '', title: 'Renamed', position: 0, etag: '' },
      updateMask: paths,
    });
  },
  'campus.identity.v1.UserService/UpdateUser': async (paths: string[] | undefined) => {
    const user = await newUser();
    return call(users.updateUser, users, {
      user: { id: user.id, name: 'Renamed', email: '', role: Role.ROLE_UNSPECIFIED, etag: '' },
      updateMask: paths,
    });
  },
  'campus.forum.v1.ForumService/UpdatePost': async (paths: string[] | undefined) => {
    const post = await newPost();
    return call(forum.updatePost, forum, {
      post: { ...post, body: 'Renamed', attributes: undefined, etag: '' },
      updateMask: paths,
      actorId: instructor,
    });
  },
} as const;

/** The field violation descriptions of an INVALID_ARGUMENT. */
async function violations(promise: Promise<unknown>): Promise<{ field: string; description: string }[]> {
  try {
    await promise;
  } catch (err) {
    const e = err as ServiceError;
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    const bin = e.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const detail = Status.decode(bin).details.find((d) => d.typeUrl.endsWith('google.rpc.BadRequest'));
    return detail ? BadRequest.decode(detail.value).fieldViolations : [];
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('every Update RPC', () => {
  it('when the descriptors are read, then every Update method of every service is covered here', async () => {
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, await readFile('generated/descriptor.binpb')));
    const updates = [...registry]
      .flatMap((type) => (type.kind === 'service' && type.typeName.startsWith('campus.') ? type.methods : []))
      .filter((m) => m.name.startsWith('Update'))
      .map((m) => `${m.parent.typeName}/${m.name}`)
      .sort();
    expect(updates).toEqual(Object.keys(UPDATES).sort());
  });

  for (const [method, update] of Object.entries(UPDATES)) {
    it(`when ${method} sets only one field and sends no mask, then it succeeds and changes only that field`, async () => {
      const updated = (await update(undefined)) as { title?: string; name?: string; body?: string };
      expect(updated.title ?? updated.name ?? updated.body).toBe('Renamed');
    });

    it(`when ${method} names an unknown path, then INVALID_ARGUMENT names update_mask with fields as JSON spells them`, async () => {
      const [violation, ...more] = await violations(update(['no_such_field']));
      expect(more).toEqual([]);
      expect(violation?.field).toBe('update_mask');
      expect(violation?.description).toContain('"no_such_field"');
      expect(violation?.description).not.toMatch(/use [^"]*_/);
    });

    it(`when ${method} mixes "*" with other paths, then INVALID_ARGUMENT`, async () => {
      const found = await violations(update(['*', 'title']));
      expect(found.map((v) => v.field)).toContain('update_mask');
    });
  }
});

describe('UpdateCatalogItem', () => {
  it('when only title and price are set and there is no mask, then description and instructor are kept', async () => {
    const item = await newItem();
    const updated = await call(catalog.updateCatalogItem, catalog, {
      catalogItem: { ...noItem, id: item.id, title: 'Databases 102', price: EUR(5900n) },
    });
    expect(updated).toMatchObject({ title: 'Databases 102', price: EUR(5900n), description: 'Keys and indexes', instructorId: instructor });
  });

  it('when the mask names instructorId as a JSON client spells it, then the instructor changes and nothing else', async () => {
    const item = await newItem();
    const updated = await call(catalog.updateCatalogItem, catalog, {
      catalogItem: { ...noItem, id: item.id, instructorId: otherInstructor, title: 'ignored' },
      updateMask: ['instructorId'],
    });
    expect(updated).toMatchObject({ instructorId: otherInstructor, title: 'Databases 101', description: 'Keys and indexes' });
  });

  it('when the mask is "*", then it is a full replacement: unset description and instructor are cleared', async () => {
    const item = await newItem();
    const updated = await call(catalog.updateCatalogItem, catalog, {
      catalogItem: { ...noItem, id: item.id, title: 'Replaced', price: EUR(100n) },
      updateMask: ['*'],
    });
    expect(updated).toMatchObject({ title: 'Replaced', price: EUR(100n), description: '', instructorId: '' });
  });

  it('when an unknown path is sent, then the hint names instructorId, which a JSON client can send', async () => {
    const item = await newItem();
    const [violation] = await violations(
      call(catalog.updateCatalogItem, catalog, { catalogItem: { ...noItem, id: item.id, title: 'x' }, updateMask: ['teacher'] }),
    );
    expect(violation?.description).toContain('instructorId');
    expect(violation?.description).not.toContain('instructor_id');
  });
});

describe('UpdateLesson', () => {
  it('when only the title is set and there is no mask, then the position is kept', async () => {
    const lesson = await newLesson();
    const updated = await call(catalog.updateLesson, catalog, { lesson: { ...lesson, title: 'Foreign keys', position: 0, etag: '' } });
    expect(updated).toMatchObject({ title: 'Foreign keys', position: 3 });
  });

  it('when the mask is "*" and the position is unset, then INVALID_ARGUMENT names lesson.position', async () => {
    const lesson = await newLesson();
    const found = await violations(
      call(catalog.updateLesson, catalog, { lesson: { ...lesson, title: 'Foreign keys', position: 0, etag: '' }, updateMask: ['*'] }),
    );
    expect(found.map((v) => v.field)).toEqual(['lesson.position']);
  });
});

describe('UpdateUser', () => {
  it('when only the name is set and there is no mask, then email and role are kept', async () => {
    const user = await newUser();
    const updated = await call(users.updateUser, users, {
      user: { id: user.id, name: 'Ada King', email: '', role: Role.ROLE_UNSPECIFIED, etag: '' },
    });
    expect(updated).toMatchObject({ name: 'Ada King', email: user.email, role: Role.ROLE_STUDENT });
  });

  it('when the mask is "*" and the email is unset, then INVALID_ARGUMENT names user.email and user.role', async () => {
    const user = await newUser();
    const found = await violations(
      call(users.updateUser, users, {
        user: { id: user.id, name: 'Ada King', email: '', role: Role.ROLE_UNSPECIFIED, etag: '' },
        updateMask: ['*'],
      }),
    );
    expect(found.map((v) => v.field).sort()).toEqual(['user.email', 'user.role']);
  });
});

describe('UpdatePost', () => {
  it('when only the body is set and there is no mask, then the attributes are kept', async () => {
    const post = await newPost();
    const updated = await call(forum.updatePost, forum, {
      post: { ...post, body: 'Edited.', attributes: undefined, etag: '' },
      updateMask: undefined,
      actorId: instructor,
    });
    expect(updated).toMatchObject({ body: 'Edited.', attributes: { codeLanguage: 'sql' } });
  });

  it('when the mask is "*" and no attributes are sent, then the attributes are cleared', async () => {
    const post = await newPost();
    const updated = await call(forum.updatePost, forum, {
      post: { ...post, body: 'Edited.', attributes: undefined, etag: '' },
      updateMask: ['*'],
      actorId: instructor,
    });
    expect(updated.attributes ?? {}).toEqual({});
  });

  it('when the mask names a field that is not updatable, then INVALID_ARGUMENT and the post is unchanged', async () => {
    const post = await newPost();
    const err = await failure(
      call(forum.updatePost, forum, { post: { ...post, body: 'Edited.', etag: '' }, updateMask: ['authorId'], actorId: instructor }),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const { posts } = await call(forum.listPosts, forum, { threadId: post.threadId, pageSize: 10, pageToken: '' });
    expect(posts.find((p) => p.id === post.id)?.body).toBe('The pair.');
  });
});
