import { ForumServiceService as F } from '../../generated/campus/forum/v1/forum.js';
import type { AccessLookups } from '../auth/access-lookups.js';
import { type Limit, type MethodRule, type OnItem, rule } from '../auth/access-rule.js';
import { is, item } from '../auth/rule-helpers.js';

/** The rows of the rule table for campus.forum.v1.ForumService (see src/auth/rules.ts). */
export function forumRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(F.createThread, {
      onItem: (req) => item(req.catalogItemId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.authorId) },
      note: '`author_id` is the caller; the forum service also requires them to be enrolled in, or teach, the item',
    }),
    rule(F.getThread, { ...signedIn(), onItem: (req, l) => viaThread(l, req.id) }),
    rule(F.listThreads, { ...signedIn(), onItem: (req) => item(req.catalogItemId) }),
    rule(F.createPost, {
      onItem: (req, l) => viaThread(l, req.threadId),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.authorId) },
      note: '`author_id` is the caller; the forum service also requires them to be enrolled in, or teach, the item',
    }),
    rule(F.listPosts, { ...signedIn(), onItem: (req, l) => viaThread(l, req.threadId) }),
    rule(F.updatePost, {
      onItem: (req, l) => viaPost(l, req.post?.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      byService: ['owner'],
      limit: actorIsCaller((req) => req.actorId),
      note: "`actor_id` is the caller; the forum service checks that they wrote the post",
    }),
    rule(F.deletePost, {
      onItem: (req, l) => viaPost(l, req.id),
      anonymous: 'none', student: ['owner'], instructor: ['owner', 'teacher'], admin: 'all', service: 'all',
      byService: ['owner', 'teacher'],
      limit: actorIsCaller((req) => req.actorId),
      note: "`actor_id` is the caller; the forum service checks that they wrote the post or teach the item (moderation)",
    }),
  ];
}

/** The call names a thread of the item's forum. */
function viaThread(lookups: AccessLookups, id: string): OnItem | undefined {
  return id ? { itemId: lookups.threadItemId(id), asked: { type: 'Thread', name: id } } : undefined;
}

/** The call names a post of the item's forum. */
function viaPost(lookups: AccessLookups, id: string | undefined): OnItem | undefined {
  return id ? { itemId: lookups.postItemId(id), asked: { type: 'Post', name: id } } : undefined;
}

/** Readable by every signed-in caller. */
function signedIn() {
  return { anonymous: 'none', student: 'all', instructor: 'all', admin: 'all', service: 'all' } as const;
}

/** Requests that name who asks must name the caller. */
function actorIsCaller<Req>(actorOf: (req: Req) => string): Limit<Req> {
  return (p, req) =>
    is(p, actorOf(req)) ? undefined : { reason: 'ACTOR_NOT_CALLER', message: 'actor_id must be the id of the signed-in user' };
}
