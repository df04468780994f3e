import type { EntityManager } from '@mikro-orm/mongodb';
import { PostRepository } from './post.repository.js';
import { ThreadRepository } from './thread.repository.js';

/**
 * What the other domains (and the authorizer) read of the forum's
 * collections (forum_threads, forum_posts), each one point read on `em`. Ids
 * are taken as given: a caller checks they are ObjectIds first.
 */
export interface ForumReads {
  /** The id of the catalog item whose forum holds a thread; undefined when there is no such thread. */
  itemOfThread(threadId: string): Promise<string | undefined>;
  /** The id of the catalog item whose forum holds a post; undefined when there is no such post. */
  itemOfPost(postId: string): Promise<string | undefined>;
}

/** ForumReads over the (request-scoped) MongoDB EntityManager `em`. */
export function forumReads(em: EntityManager): ForumReads {
  return {
    itemOfThread: (threadId) => new ThreadRepository(em).catalogItemIdOf(threadId),
    itemOfPost: (postId) => new PostRepository(em).catalogItemIdOf(postId),
  };
}
