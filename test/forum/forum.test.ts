import { status } from '@grpc/grpc-js';
import { MongoClient, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ForumServiceClient, type Post } from '../../generated/campus/forum/v1/forum.js';
import { CampusRows } from '../support/campus-rows.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: ForumServiceClient;
let rows: CampusRows;
let mongo: MongoClient;
let instructor: string;
let student: string;
let graduate: string;
let dropout: string;
let stranger: string;
let admin: string;
let item: string;

useTestServer({ env: { ANALYTICS_ROLLUP_INTERVAL_MS: '0' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await mongo?.close();
    await rows?.close();
  });
  client = scope.connect(ForumServiceClient);
  rows = await CampusRows.open(server.config.databaseUrl ?? '');
  mongo = new MongoClient(server.config.mongoUrl ?? '');
  instructor = await rows.user('instructor');
  student = await rows.user();
  graduate = await rows.user();
  dropout = await rows.user();
  stranger = await rows.user();
  admin = await rows.user('admin');
  item = await rows.catalogItem(instructor);
  await rows.enrollment(student, item, 'active');
  await rows.enrollment(graduate, item, 'completed');
  await rows.enrollment(dropout, item, 'cancelled');
});

const createThread = (authorId: string, title = 'Composite keys?', catalogItemId = item) =>
  call(client.createThread, client, { catalogItemId, authorId, title, body: 'When should a key span two columns?' });
const createPost = (threadId: string, authorId: string, body = 'When the pair is what is unique.', extra: Partial<Post> = {}) =>
  call(client.createPost, client, {
    threadId,
    authorId,
    body,
    attributes: extra.attributes ?? { codeLanguage: 'sql' },
    parentPostId: extra.parentPostId ?? '',
  });
const listPosts = (threadId: string, pageSize = 0, pageToken = '') => call(client.listPosts, client, { threadId, pageSize, pageToken });

describe('CreateThread', () => {
  it('when an enrolled student starts a thread, then it has an ObjectId, one post and the body as opening post', async () => {
    const thread = await createThread(student);
    expect(thread.id).toMatch(/^[0-9a-f]{24}$/);
    expect(thread).toMatchObject({ catalogItemId: item, authorId: student, title: 'Composite keys?', postCount: 1n });
    const { posts } = await listPosts(thread.id);
    expect(posts.map((p) => [p.id, p.body])).toEqual([[thread.openingPostId, 'When should a key span two columns?']]);
    expect(await call(client.getThread, client, { id: thread.id })).toEqual(thread);
  });

  it('when a completed learner, the instructor or an admin starts one, then it is allowed', async () => {
    for (const author of [graduate, instructor, admin]) {
      expect((await createThread(author)).authorId).toBe(author);
    }
  });

  it('when the author is not enrolled, cancelled, or unknown, then PERMISSION_DENIED and nothing is written', async () => {
    const before = await mongo.db(server.config.mongoDbName).collection('forum_threads').countDocuments({ catalogItemId: item });
    for (const author of [stranger, dropout, '01900000-0000-7000-8000-000000000000']) {
      const err = await failure(createThread(author));
      expect(err.code).toBe(status.PERMISSION_DENIED);
    }
    expect(await mongo.db(server.config.mongoDbName).collection('forum_threads').countDocuments({ catalogItemId: item })).toBe(before);
  });

  it('when the catalog item does not exist, then NOT_FOUND names it', async () => {
    const missing = '01900000-0000-7000-8000-0000000000ff';
    const err = await failure(createThread(student, 'Hello', missing));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.resource).toEqual({ type: 'CatalogItem', name: missing });
  });

  it('when ids and title are malformed, then INVALID_ARGUMENT names each field', async () => {
    const err = await failure(call(client.createThread, client, { catalogItemId: 'x', authorId: '', title: ' ', body: 'b' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations.map((v) => v.field).sort()).toEqual(['author_id', 'catalog_item_id', 'title']);
  });
});

describe('CreatePost', () => {
  it('when a member posts with attributes, then they are kept and the thread counts the post and its activity', async () => {
    const thread = await createThread(student);
    const post = await createPost(thread.id, graduate, 'When the pair is what is unique.', {
      attributes: { codeLanguage: 'sql', lines: [1, 2] },
    });
    expect(post).toMatchObject({
      threadId: thread.id,
      authorId: graduate,
      attributes: { codeLanguage: 'sql', lines: [1, 2] },
      schemaVersion: 2,
      etag: '1',
    });
    const after = await call(client.getThread, client, { id: thread.id });
    expect(after.postCount).toBe(2n);
    expect(after.lastActivityTime?.getTime()).toBe(post.createTime?.getTime());
  });

  it('when many posts arrive at once, then the count loses none of them', async () => {
    const thread = await createThread(student);
    await Promise.all(Array.from({ length: 20 }, (_, i) => createPost(thread.id, i % 2 ? student : graduate, `post ${i}`)));
    expect((await call(client.getThread, client, { id: thread.id })).postCount).toBe(21n);
  });

  it('when the post replies to a post of the same thread, then the parent is kept; of another thread, INVALID_ARGUMENT', async () => {
    const a = await createThread(student);
    const b = await createThread(student);
    const reply = await createPost(a.id, graduate, 'Agreed', { parentPostId: a.openingPostId });
    expect(reply.parentPostId).toBe(a.openingPostId);
    const err = await failure(createPost(b.id, graduate, 'Lost', { parentPostId: a.openingPostId }));
    expect(err.fieldViolations).toEqual([{ field: 'parent_post_id', reason: 'NOT_IN_THREAD' }]);
  });

  it('when a non-member posts, then PERMISSION_DENIED; when the thread is unknown, NOT_FOUND', async () => {
    const thread = await createThread(student);
    expect((await failure(createPost(thread.id, stranger))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(createPost(new ObjectId().toHexString(), student))).code).toBe(status.NOT_FOUND);
    expect((await call(client.getThread, client, { id: thread.id })).postCount).toBe(1n);
  });

  it('when attributes hold a key MongoDB would read as an operator, then INVALID_ARGUMENT', async () => {
    const thread = await createThread(student);
    const err = await failure(createPost(thread.id, student, 'x', { attributes: { nested: { $where: 'evil' } } }));
    expect(err.fieldViolations).toEqual([{ field: 'attributes', reason: 'INVALID_KEY' }]);
  });
});

describe('ListThreads and ListPosts', () => {
  it('when threads of an item are paged, then newest activity comes first and pages neither repeat nor skip', async () => {
    const course = await rows.catalogItem(instructor);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createThread(instructor, `t${i}`, course));
    const [firstMade] = made;
    if (!firstMade) throw new Error('no thread');
    await createPost(firstMade.id, instructor, 'bump');
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await call(client.listThreads, client, { catalogItemId: course, pageSize: 2, pageToken });
      seen.push(...page.threads.map((t) => t.title));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(['t0', 't4', 't3', 't2', 't1']);
  });

  it('when posts are paged, then they come oldest first, and a token is refused for another thread', async () => {
    const thread = await createThread(student);
    for (let i = 0; i < 4; i++) await createPost(thread.id, student, `reply ${i}`);
    const first = await listPosts(thread.id, 3);
    const second = await listPosts(thread.id, 3, first.nextPageToken);
    expect([...first.posts, ...second.posts].map((p) => p.body)).toEqual([
      'When should a key span two columns?',
      'reply 0',
      'reply 1',
      'reply 2',
      'reply 3',
    ]);
    expect(second.nextPageToken).toBe('');
    const other = await createThread(student);
    const err = await failure(listPosts(other.id, 3, first.nextPageToken));
    expect(err.fieldViolations).toEqual([{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN' }]);
  });
});

describe('UpdatePost', () => {
  it('when the author updates with the current etag, then the body changes and the etag moves on; a stale etag is ABORTED', async () => {
    const thread = await createThread(student);
    const post = await createPost(thread.id, student);
    const updated = await call(client.updatePost, client, {
      post: { ...post, body: 'Edited' },
      updateMask: ['body'],
      actorId: student,
    });
    expect(updated).toMatchObject({ body: 'Edited', attributes: { codeLanguage: 'sql' }, etag: '2' });
    const err = await failure(
      call(client.updatePost, client, { post: { ...post, body: 'Again' }, updateMask: ['body'], actorId: student }),
    );
    expect(err.code).toBe(status.ABORTED);
    const { posts } = await listPosts(thread.id);
    expect(posts.at(-1)?.body).toBe('Edited');
  });

  it('when someone else, even a moderator, edits, then PERMISSION_DENIED', async () => {
    const thread = await createThread(student);
    const post = await createPost(thread.id, student);
    for (const actorId of [graduate, instructor]) {
      const err = await failure(call(client.updatePost, client, { post: { ...post, body: 'Mine now' }, updateMask: [], actorId }));
      expect(err.code).toBe(status.PERMISSION_DENIED);
    }
  });
});

describe('DeletePost', () => {
  it('when the author deletes a post, then it stays as a tombstone and the thread count drops once', async () => {
    const thread = await createThread(student);
    const post = await createPost(thread.id, student);
    const deleted = await call(client.deletePost, client, { id: post.id, etag: post.etag, actorId: student });
    expect(deleted).toMatchObject({ id: post.id, body: '', attributes: {}, etag: '2' });
    expect(deleted.deleteTime).toBeInstanceOf(Date);
    const again = await call(client.deletePost, client, { id: post.id, etag: '', actorId: student });
    expect(again.etag).toBe('2');
    expect((await call(client.getThread, client, { id: thread.id })).postCount).toBe(1n);
    const stored = await mongo
      .db(server.config.mongoDbName)
      .collection('forum_posts')
      .findOne({ _id: new ObjectId(post.id) });
    expect(stored?.body).toBe('When the pair is what is unique.');
  });

  it('when the instructor or an admin deletes a post, then it is allowed; another learner is PERMISSION_DENIED', async () => {
    const thread = await createThread(student);
    const a = await createPost(thread.id, student);
    const b = await createPost(thread.id, student);
    expect((await failure(call(client.deletePost, client, { id: a.id, etag: '', actorId: graduate }))).code).toBe(status.PERMISSION_DENIED);
    expect((await call(client.deletePost, client, { id: a.id, etag: '', actorId: instructor })).deleteTime).toBeInstanceOf(Date);
    expect((await call(client.deletePost, client, { id: b.id, etag: '', actorId: admin })).deleteTime).toBeInstanceOf(Date);
  });
});

describe('document versions', () => {
  it('when a version-1 post is stored, then it is read back upgraded, and an update rewrites it in the current shape', async () => {
    const thread = await createThread(student);
    const posts = mongo.db(server.config.mongoDbName).collection('forum_posts');
    const _id = new ObjectId();
    const at = new Date('2026-01-02T03:04:05Z');
    // Version 1: `text`, no attributes, no schemaVersion, no replies or soft delete.
    await posts.insertOne({
      _id,
      threadId: thread.id,
      catalogItemId: item,
      authorId: student,
      text: 'Old words',
      createTime: at,
      updateTime: at,
      version: 1,
    });

    const read = (await listPosts(thread.id)).posts.find((p) => p.id === _id.toHexString());
    expect(read).toMatchObject({ body: 'Old words', attributes: {}, schemaVersion: 1, parentPostId: '', etag: '1' });
    expect(read?.deleteTime).toBeUndefined();

    const updated = await call(client.updatePost, client, {
      post: { ...(read as Post), attributes: { codeLanguage: 'sql' } },
      updateMask: ['attributes'],
      actorId: student,
    });
    expect(updated).toMatchObject({ body: 'Old words', attributes: { codeLanguage: 'sql' }, schemaVersion: 2, etag: '2' });
    const stored = await posts.findOne({ _id });
    expect(stored).toMatchObject({ body: 'Old words', schemaVersion: 2 });
    expect(stored).not.toHaveProperty('text');
  });
});
