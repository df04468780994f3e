import { randomUUID } from 'node:crypto';
import { type Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AnalyticsServiceClient, GetCourseEngagementRequest } from '../../generated/campus/analytics/v1/analytics.js';
import {
  BatchGetCatalogItemsRequest,
  CatalogServiceClient,
  CreateLessonRequest,
  DeleteCatalogItemRequest,
  DeleteLessonRequest,
  GetCatalogItemRequest,
  ListLessonsRequest,
  PublishCatalogItemRequest,
  UnpublishCatalogItemRequest,
  UpdateCatalogItemRequest,
  UpdateLessonRequest,
} from '../../generated/campus/catalog/v1/catalog.js';
import {
  CancelEnrollmentRequest,
  EnrollmentServiceClient,
  EnrollRequest,
  GetEnrollmentRequest,
  GetProgressRequest,
  ListEnrollmentsRequest,
  RecordLessonCompletionRequest,
} from '../../generated/campus/enrollment/v1/enrollment.js';
import {
  CreatePostRequest,
  CreateThreadRequest,
  DeletePostRequest,
  ForumServiceClient,
  GetThreadRequest,
  ListPostsRequest,
  ListThreadsRequest,
  UpdatePostRequest,
} from '../../generated/campus/forum/v1/forum.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createUser } from '../support/builders.js';
import { call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

// Everything hanging off a catalog item answers, to a caller who may not see
// the item, exactly what a missing one answers: NOT_FOUND naming what was
// asked for. The student here was enrolled and wrote in the forum while the
// item was published; then it was unpublished.
const PASSWORD = 'correct horse battery';
let server: TestServer;
let catalog: CatalogServiceClient;
let enrollments: EnrollmentServiceClient;
let forum: ForumServiceClient;
let analytics: AnalyticsServiceClient;
let users: UserServiceClient;
let admin: Metadata;
let student: { id: string; as: Metadata };
let teacher: { id: string; as: Metadata };
let hidden: { itemId: string; etag: string; lessonId: string; enrollmentId: string; threadId: string; postId: string };

useTestServer({ hookTimeoutMs: 60_000 }, async (s, scope) => {
  server = s;
  catalog = scope.connect(CatalogServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
  forum = scope.connect(ForumServiceClient);
  analytics = scope.connect(AnalyticsServiceClient);
  users = scope.connect(UserServiceClient);
  admin = await server.asAdmin();
  const person = async (role: Role) => {
    const user = await createUser(users, { role }, PASSWORD);
    return { id: user.id, as: await server.signIn(user.email, PASSWORD) };
  };
  [student, teacher] = await Promise.all([person(Role.ROLE_STUDENT), person(Role.ROLE_INSTRUCTOR)]);
  const item = await createCatalogItem(catalog, { title: 'Exams', instructorId: teacher.id }, admin);
  const lesson = await call(
    catalog.createLesson,
    catalog,
    CreateLessonRequest.fromPartial({ catalogItemId: item.id, lesson: { title: 'One', position: 1 } }),
    admin,
  );
  await call(catalog.publishCatalogItem, catalog, { id: item.id }, admin);
  const enrollment = await call(
    enrollments.enroll,
    enrollments,
    { userId: student.id, catalogItemId: item.id, requestId: randomUUID() },
    student.as,
  );
  const thread = await call(
    forum.createThread,
    forum,
    { catalogItemId: item.id, authorId: student.id, title: 'Draft: exam answers', body: 'Here they are' },
    student.as,
  );
  const unpublished = await call(catalog.unpublishCatalogItem, catalog, { id: item.id }, admin);
  hidden = {
    itemId: item.id,
    etag: unpublished.etag,
    lessonId: lesson.id,
    enrollmentId: enrollment.id,
    threadId: thread.id,
    postId: thread.openingPostId,
  };
});

type Row = readonly [rpc: string, send: (as: Metadata) => Promise<unknown>, asked: () => { type: string; name: string }];

const item = () => ({ type: 'CatalogItem', name: hidden.itemId });
const rows: readonly Row[] = [
  ['GetCatalogItem', (as) => call(catalog.getCatalogItem, catalog, GetCatalogItemRequest.fromPartial({ id: hidden.itemId }), as), item],
  [
    'BatchGetCatalogItems',
    (as) => call(catalog.batchGetCatalogItems, catalog, BatchGetCatalogItemsRequest.fromPartial({ ids: [hidden.itemId] }), as),
    item,
  ],
  [
    'UpdateCatalogItem',
    (as) =>
      call(
        catalog.updateCatalogItem,
        catalog,
        UpdateCatalogItemRequest.fromPartial({
          catalogItem: { id: hidden.itemId, title: 'Mine', etag: hidden.etag },
          updateMask: ['title'],
        }),
        as,
      ),
    item,
  ],
  [
    'DeleteCatalogItem',
    (as) => call(catalog.deleteCatalogItem, catalog, DeleteCatalogItemRequest.fromPartial({ id: hidden.itemId }), as),
    item,
  ],
  [
    'PublishCatalogItem',
    (as) => call(catalog.publishCatalogItem, catalog, PublishCatalogItemRequest.fromPartial({ id: hidden.itemId }), as),
    item,
  ],
  [
    'UnpublishCatalogItem',
    (as) => call(catalog.unpublishCatalogItem, catalog, UnpublishCatalogItemRequest.fromPartial({ id: hidden.itemId }), as),
    item,
  ],
  [
    'CreateLesson',
    (as) =>
      call(
        catalog.createLesson,
        catalog,
        CreateLessonRequest.fromPartial({ catalogItemId: hidden.itemId, lesson: { title: 'Two', position: 2 } }),
        as,
      ),
    item,
  ],
  ['ListLessons', (as) => call(catalog.listLessons, catalog, ListLessonsRequest.fromPartial({ catalogItemId: hidden.itemId }), as), item],
  [
    'UpdateLesson',
    (as) =>
      call(
        catalog.updateLesson,
        catalog,
        UpdateLessonRequest.fromPartial({ lesson: { id: hidden.lessonId, title: 'Mine' }, updateMask: ['title'] }),
        as,
      ),
    () => ({ type: 'Lesson', name: hidden.lessonId }),
  ],
  [
    'DeleteLesson',
    (as) => call(catalog.deleteLesson, catalog, DeleteLessonRequest.fromPartial({ id: hidden.lessonId }), as),
    () => ({ type: 'Lesson', name: hidden.lessonId }),
  ],
  [
    'Enroll',
    (as) =>
      call(
        enrollments.enroll,
        enrollments,
        EnrollRequest.fromPartial({ userId: student.id, catalogItemId: hidden.itemId, requestId: randomUUID() }),
        as,
      ),
    item,
  ],
  [
    'GetEnrollment',
    (as) => call(enrollments.getEnrollment, enrollments, GetEnrollmentRequest.fromPartial({ id: hidden.enrollmentId }), as),
    () => ({ type: 'Enrollment', name: hidden.enrollmentId }),
  ],
  [
    'ListEnrollments',
    (as) =>
      call(
        enrollments.listEnrollments,
        enrollments,
        ListEnrollmentsRequest.fromPartial({ userId: student.id, catalogItemId: hidden.itemId }),
        as,
      ),
    item,
  ],
  [
    'CancelEnrollment',
    (as) => call(enrollments.cancelEnrollment, enrollments, CancelEnrollmentRequest.fromPartial({ id: hidden.enrollmentId }), as),
    () => ({ type: 'Enrollment', name: hidden.enrollmentId }),
  ],
  [
    'RecordLessonCompletion',
    (as) =>
      call(
        enrollments.recordLessonCompletion,
        enrollments,
        RecordLessonCompletionRequest.fromPartial({ userId: student.id, lessonId: hidden.lessonId }),
        as,
      ),
    () => ({ type: 'Lesson', name: hidden.lessonId }),
  ],
  [
    'GetProgress',
    (as) =>
      call(enrollments.getProgress, enrollments, GetProgressRequest.fromPartial({ userId: student.id, catalogItemId: hidden.itemId }), as),
    item,
  ],
  [
    'CreateThread',
    (as) =>
      call(
        forum.createThread,
        forum,
        CreateThreadRequest.fromPartial({ catalogItemId: hidden.itemId, authorId: student.id, title: 'More', body: 'More answers' }),
        as,
      ),
    item,
  ],
  [
    'GetThread',
    (as) => call(forum.getThread, forum, GetThreadRequest.fromPartial({ id: hidden.threadId }), as),
    () => ({ type: 'Thread', name: hidden.threadId }),
  ],
  ['ListThreads', (as) => call(forum.listThreads, forum, ListThreadsRequest.fromPartial({ catalogItemId: hidden.itemId }), as), item],
  [
    'CreatePost',
    (as) =>
      call(forum.createPost, forum, CreatePostRequest.fromPartial({ threadId: hidden.threadId, authorId: student.id, body: 'Me too' }), as),
    () => ({ type: 'Thread', name: hidden.threadId }),
  ],
  [
    'ListPosts',
    (as) => call(forum.listPosts, forum, ListPostsRequest.fromPartial({ threadId: hidden.threadId }), as),
    () => ({ type: 'Thread', name: hidden.threadId }),
  ],
  [
    'UpdatePost',
    (as) =>
      call(
        forum.updatePost,
        forum,
        UpdatePostRequest.fromPartial({ post: { id: hidden.postId, body: 'Edited' }, updateMask: ['body'], actorId: student.id }),
        as,
      ),
    () => ({ type: 'Post', name: hidden.postId }),
  ],
  [
    'DeletePost',
    (as) => call(forum.deletePost, forum, DeletePostRequest.fromPartial({ id: hidden.postId, actorId: student.id }), as),
    () => ({ type: 'Post', name: hidden.postId }),
  ],
  [
    'GetCourseEngagement',
    (as) =>
      call(
        analytics.getCourseEngagement,
        analytics,
        GetCourseEngagementRequest.fromPartial({
          catalogItemId: hidden.itemId,
          startTime: new Date('2026-01-01T00:00:00Z'),
          endTime: new Date('2026-02-01T00:00:00Z'),
        }),
        as,
      ),
    item,
  ],
];

describe('what hangs off an unpublished catalog item', () => {
  it.each(rows)('when a student calls %s on it, then the answer is NOT_FOUND naming what was asked for', async (_rpc, send, asked) => {
    const error = await failure(send(student.as));
    expect({ code: status[error.code], resource: error.resource }).toEqual({ code: 'NOT_FOUND', resource: asked() });
  });

  it('when the student calls them, then nothing changed: the thread, post, lesson and enrollment are as they were', async () => {
    const thread = await call(forum.getThread, forum, { id: hidden.threadId }, teacher.as);
    expect(thread.postCount).toBe(1n);
    const posts = await call(forum.listPosts, forum, ListPostsRequest.fromPartial({ threadId: hidden.threadId }), teacher.as);
    expect(posts.posts.map((p) => p.body)).toEqual(['Here they are']);
    const enrollment = await call(enrollments.getEnrollment, enrollments, { id: hidden.enrollmentId }, admin);
    expect(enrollment.cancelTime).toBeUndefined();
    const lessons = await call(catalog.listLessons, catalog, ListLessonsRequest.fromPartial({ catalogItemId: hidden.itemId }), teacher.as);
    expect(lessons.lessons.map((l) => l.title)).toEqual(['One']);
  });

  it('when its instructor lists its threads, then they are there: the refusal is about who asks, not what exists', async () => {
    const threads = await call(forum.listThreads, forum, ListThreadsRequest.fromPartial({ catalogItemId: hidden.itemId }), teacher.as);
    expect(threads.threads.map((t) => t.title)).toEqual(['Draft: exam answers']);
  });

  it('when an admin enrolls the student, then the answer is ITEM_NOT_PUBLISHED: those who may see it learn why', async () => {
    const error = await failure(
      call(enrollments.enroll, enrollments, { userId: student.id, catalogItemId: hidden.itemId, requestId: randomUUID() }, admin),
    );
    expect(error.reason).toBe('ITEM_NOT_PUBLISHED');
  });

  it('when a student names an item that does not exist, then the answer is the same NOT_FOUND', async () => {
    const missing = randomUUID();
    const error = await failure(call(forum.listThreads, forum, ListThreadsRequest.fromPartial({ catalogItemId: missing }), student.as));
    expect({ code: status[error.code], resource: error.resource }).toEqual({
      code: 'NOT_FOUND',
      resource: { type: 'CatalogItem', name: missing },
    });
  });
});
