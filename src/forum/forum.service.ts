import type { EntityManager } from '@mikro-orm/mongodb';
import { ObjectId } from '@mikro-orm/mongodb';
import { DomainError, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { keysetPage, type Page } from '../pagination/keyset-page.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { FieldChecks } from '../validation/field-checks.js';
import { fieldsToUpdate } from '../validation/field-mask.js';
import { checkFreeForm } from '../validation/free-form.js';
import type { ForumAccess, ForumRole } from './forum-access.js';
import { POST_SCHEMA_VERSION, type Post, PostSchema } from './post.entity.js';
import { type PostCursor, PostRepository } from './post.repository.js';
import { type Thread, ThreadSchema } from './thread.entity.js';
import { type ThreadCursor, ThreadRepository } from './thread.repository.js';

export const TITLE_MAX = 200;
export const BODY_MAX = 20_000;

export interface CreateThread {
  readonly catalogItemId: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
}

export interface CreatePost {
  readonly threadId: string;
  readonly authorId: string;
  readonly body: string;
  readonly attributes: Record<string, unknown>;
  /** Empty for a top-level post. */
  readonly parentPostId: string;
}

export interface UpdatePost {
  readonly id: string;
  readonly etag: string;
  readonly actorId: string;
  /** Field paths to change (see fieldsToUpdate); empty means the fields set. */
  readonly updateMask: readonly string[] | undefined;
  readonly body: string;
  /** Undefined when the request carries none. */
  readonly attributes: Record<string, unknown> | undefined;
}

export interface DeletePost {
  readonly id: string;
  readonly etag: string;
  readonly actorId: string;
}

type Updatable = 'body' | 'attributes';
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * Use cases of the course forums. Knows nothing of gRPC; throws DomainError.
 * Who may write is asked of `access` (PostgreSQL); threads and posts are
 * MongoDB documents.
 */
export class ForumService {
  constructor(
    /** The request-scoped MongoDB EntityManager. */
    private readonly em: EntityManager,
    private readonly access: ForumAccess,
    private readonly tokens: PageTokens,
  ) {}

  private get threads() {
    return new ThreadRepository(this.em);
  }

  private get posts() {
    return new PostRepository(this.em);
  }

  /**
   * The thread and its opening post are two documents written together, in
   * one MongoDB transaction (a replica set in production).
   */
  async createThread(input: CreateThread): Promise<Thread> {
    const checks = new FieldChecks()
      .uuid(input.catalogItemId, 'catalog_item_id')
      .uuid(input.authorId, 'author_id')
      .text(input.title, 'title', { max: TITLE_MAX })
      .text(input.body, 'body', { max: BODY_MAX });
    checks.throwIfAny();
    await this.requireWriter(input.catalogItemId, input.authorId);

    const now = new Date();
    const threadId = new ObjectId();
    const postId = new ObjectId();
    await this.em.transactional(async (tx) => {
      tx.create(ThreadSchema, {
        _id: threadId,
        id: threadId.toHexString(),
        catalogItemId: input.catalogItemId,
        authorId: input.authorId,
        title: input.title.trim(),
        openingPostId: postId.toHexString(),
        postCount: 1,
        lastActivityAt: now,
        createTime: now,
      });
      tx.create(PostSchema, newPost(postId, threadId.toHexString(), input.catalogItemId, input.authorId, input.body, {}, null, now));
    });
    const thread = await this.threads.findById(threadId.toHexString());
    if (!thread) throw new Error('thread vanished right after it was written');
    return thread;
  }

  async getThread(id: string): Promise<Thread> {
    new FieldChecks().check(...objectIdRule(id, 'id')).throwIfAny();
    const thread = await this.threads.findById(id);
    if (!thread) throw notFound('Thread', id);
    return thread;
  }

  async listThreads(catalogItemId: string, requestedSize: number, pageToken: string): Promise<Page<Thread>> {
    const checks = new FieldChecks().uuid(catalogItemId, 'catalog_item_id');
    const size = pageSize(requestedSize, checks);
    checks.throwIfAny();
    const query = `forum.threads catalog_item_id=${catalogItemId} order=last_activity desc,id desc`;
    const after = this.tokens.decode(pageToken, query) as ThreadCursor | undefined;
    const rows = await this.threads.page(catalogItemId, after, size + 1);
    return keysetPage(rows, size, this.tokens, query, (t) => [t.lastActivityAt.getTime(), t.id]);
  }

  async createPost(input: CreatePost): Promise<Post> {
    const checks = new FieldChecks()
      .check(...objectIdRule(input.threadId, 'thread_id'))
      .uuid(input.authorId, 'author_id')
      .text(input.body, 'body', { max: BODY_MAX });
    checkFreeForm(checks, input.attributes, 'attributes');
    if (input.parentPostId !== '') {
      checks.check(...objectIdRule(input.parentPostId, 'parent_post_id'));
    }
    checks.throwIfAny();
    const thread = await this.threads.findById(input.threadId);
    if (!thread) throw notFound('Thread', input.threadId);
    await this.requireWriter(thread.catalogItemId, input.authorId);
    if (input.parentPostId !== '') {
      const parent = await this.posts.findById(input.parentPostId);
      new FieldChecks()
        .check(parent?.threadId === thread.id, 'parent_post_id', 'NOT_IN_THREAD', 'parent_post_id must name a post of the same thread')
        .throwIfAny();
    }

    const now = new Date();
    const post = this.em.create(
      PostSchema,
      newPost(
        new ObjectId(),
        thread.id,
        thread.catalogItemId,
        input.authorId,
        input.body,
        input.attributes,
        input.parentPostId || null,
        now,
      ),
    );
    await this.em.flush();
    // No transaction: the count is one atomic $inc/$max on the thread after the insert.
    await this.threads.postAdded(thread.id, now);
    return post;
  }

  async listPosts(threadId: string, requestedSize: number, pageToken: string): Promise<Page<Post>> {
    const checks = new FieldChecks().check(...objectIdRule(threadId, 'thread_id'));
    const size = pageSize(requestedSize, checks);
    checks.throwIfAny();
    const query = `forum.posts thread_id=${threadId.toLowerCase()} order=create_time asc,id asc`;
    const after = this.tokens.decode(pageToken, query) as PostCursor | undefined;
    if (!after && !(await this.threads.findById(threadId))) throw notFound('Thread', threadId);
    const rows = await this.posts.page(threadId.toLowerCase(), after, size + 1);
    return keysetPage(rows, size, this.tokens, query, (p) => [p.createTime.getTime(), p.id]);
  }

  async updatePost(input: UpdatePost): Promise<Post> {
    const checks = new FieldChecks().check(...objectIdRule(input.id, 'post.id')).uuid(input.actorId, 'actor_id');
    const populated = { body: input.body !== '', attributes: input.attributes !== undefined } satisfies Record<Updatable, boolean>;
    const fields = fieldsToUpdate(input.updateMask, populated, checks);
    if (fields.has('body')) checks.text(input.body, 'post.body', { max: BODY_MAX });
    if (fields.has('attributes')) checkFreeForm(checks, input.attributes ?? {}, 'post.attributes');
    checks.throwIfAny();

    const post = await this.posts.findById(input.id);
    if (!post) throw notFound('Post', input.id);
    if (post.authorId !== input.actorId) throw permissionDenied('only the author may edit a post');
    if (post.deleteTime) {
      throw new DomainError('FAILED_PRECONDITION', 'POST_DELETED', 'a deleted post cannot be edited', {
        preconditionViolations: [{ type: 'DELETED', subject: `posts/${post.id}`, description: 'the post is deleted' }],
      });
    }
    checkEtag(post.version, input.etag, 'Post');
    const updated = await this.posts.update(
      post,
      {
        body: fields.has('body') ? input.body.trim() : post.body,
        attributes: fields.has('attributes') ? (input.attributes ?? {}) : post.attributes,
      },
      new Date(),
    );
    if (!updated) throw concurrentChange();
    return updated;
  }

  async deletePost(input: DeletePost): Promise<Post> {
    new FieldChecks()
      .check(...objectIdRule(input.id, 'id'))
      .uuid(input.actorId, 'actor_id')
      .throwIfAny();
    const post = await this.posts.findById(input.id);
    if (!post) throw notFound('Post', input.id);
    if (post.authorId !== input.actorId && (await this.access.roleIn(post.catalogItemId, input.actorId)) !== 'moderator') {
      throw permissionDenied('only the author or a moderator of the forum may delete a post');
    }
    if (post.deleteTime) return post;
    checkEtag(post.version, input.etag, 'Post');
    const deleted = await this.posts.softDelete(post, input.actorId, new Date());
    if (!deleted) throw concurrentChange();
    await this.threads.postRemoved(post.threadId);
    return deleted;
  }

  private async requireWriter(catalogItemId: string, userId: string): Promise<ForumRole> {
    const role = await this.access.roleIn(catalogItemId, userId);
    if (role === undefined) throw notFound('CatalogItem', catalogItemId);
    if (role === 'none') throw permissionDenied('only enrolled learners, the instructor and admins may write in this forum');
    return role;
  }
}

function newPost(
  id: ObjectId,
  threadId: string,
  catalogItemId: string,
  authorId: string,
  body: string,
  attributes: Record<string, unknown>,
  parentPostId: string | null,
  now: Date,
) {
  return {
    _id: id,
    id: id.toHexString(),
    threadId,
    catalogItemId,
    authorId,
    parentPostId,
    body: body.trim(),
    attributes,
    schemaVersion: POST_SCHEMA_VERSION,
    createTime: now,
    updateTime: now,
    deleteTime: null,
    deletedBy: null,
    analyticsPendingSince: now,
  };
}

/** Arguments of FieldChecks.check for a 24-character hexadecimal MongoDB id. */
function objectIdRule(value: string, field: string): [boolean, string, string, string] {
  return [OBJECT_ID.test(value), field, 'INVALID_ID', `${field} must be a 24-character hexadecimal id`];
}

function permissionDenied(message: string): DomainError {
  return new DomainError('PERMISSION_DENIED', 'FORUM_PERMISSION_DENIED', message);
}

function concurrentChange(): DomainError {
  return new DomainError('ABORTED', 'CONCURRENT_MODIFICATION', 'the post was changed concurrently; read it again');
}
