import type { ForumServiceServer, Post as PostMessage, Thread as ThreadMessage } from '../../generated/campus/forum/v1/forum.js';
import { etagOf } from '../errors/etag.js';
import type { Unary } from '../server/unary.js';
import type { ForumService } from './forum.service.js';
import type { Post } from './post.entity.js';
import type { Thread } from './thread.entity.js';

/** campus.forum.v1.ForumService: proto in, use case, proto out. */
export function forumHandlers(unary: Unary, forum: ForumService): ForumServiceServer {
  return {
    createThread: unary(async (req) => toThreadMessage(await forum.createThread(req))),
    getThread: unary(async (req) => toThreadMessage(await forum.getThread(req.id))),
    listThreads: unary(async (req) => {
      const page = await forum.listThreads(req.catalogItemId, req.pageSize, req.pageToken);
      return { threads: page.items.map(toThreadMessage), nextPageToken: page.nextPageToken };
    }),
    createPost: unary(async (req) => toPostMessage(await forum.createPost({ ...req, attributes: req.attributes ?? {} }))),
    listPosts: unary(async (req) => {
      const page = await forum.listPosts(req.threadId, req.pageSize, req.pageToken);
      return { posts: page.items.map(toPostMessage), nextPageToken: page.nextPageToken };
    }),
    updatePost: unary(async (req) =>
      toPostMessage(
        await forum.updatePost({
          id: req.post?.id ?? '',
          etag: req.post?.etag ?? '',
          actorId: req.actorId,
          updateMask: req.updateMask,
          body: req.post?.body ?? '',
          attributes: req.post?.attributes,
        }),
      ),
    ),
    deletePost: unary(async (req) => toPostMessage(await forum.deletePost(req))),
  };
}

export function toThreadMessage(thread: Thread): ThreadMessage {
  return {
    id: thread.id,
    catalogItemId: thread.catalogItemId,
    authorId: thread.authorId,
    title: thread.title,
    openingPostId: thread.openingPostId,
    postCount: BigInt(thread.postCount),
    lastActivityTime: thread.lastActivityAt,
    createTime: thread.createTime,
  };
}

/** A deleted post is a tombstone: who and when stay, the content does not. */
export function toPostMessage(post: Post): PostMessage {
  const deleted = post.deleteTime !== null && post.deleteTime !== undefined;
  return {
    id: post.id,
    threadId: post.threadId,
    parentPostId: post.parentPostId ?? '',
    authorId: post.authorId,
    body: deleted ? '' : post.body,
    attributes: deleted ? {} : post.attributes,
    schemaVersion: post.schemaVersion,
    createTime: post.createTime,
    updateTime: post.updateTime,
    deleteTime: post.deleteTime ?? undefined,
    etag: etagOf(post.version),
  };
}
