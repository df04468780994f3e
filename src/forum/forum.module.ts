import type { EntityManager as MongoEntityManager } from '@mikro-orm/mongodb';
import { type ForumServiceServer, ForumServiceService } from '../../generated/campus/forum/v1/forum.js';
import { catalogReads } from '../catalog/catalog.js';
import type { DomainModule, ModuleContext } from '../domain-module.js';
import { forumHandlers } from './forum.handler.js';
import { forumRules } from './forum.rules.js';
import { ForumService } from './forum.service.js';
import { forumAccessOf } from './forum-access.js';
import { PostSchema } from './post.entity.js';
import { ThreadSchema } from './thread.entity.js';

/** What the forum module takes from the composition root. */
export interface ForumModuleDeps extends ModuleContext {
  /** The request-scoped MongoDB EntityManager: threads and posts. */
  readonly mongo: MongoEntityManager;
}

/** The forums of catalog items: threads and posts (MongoDB). */
export const forumModule = {
  definitions: [ForumServiceService],
  entities: [],
  mongoEntities: [ThreadSchema, PostSchema],
  /** How its collections shard on MongoDB (the plan, src/db/sharding-plan.ts). */
  collections: {
    forum_threads: {
      shardKey: { catalogItemId: 1 },
      why: 'a course\u2019s threads together; ranged on the item id, backed by the ListThreads index',
      singleShard: ['ListThreads', 'CreateThread'],
      allShards: ['GetThread (by _id)', 'post counts and last activity (updated by _id)'],
    },
    forum_posts: {
      shardKey: { threadId: 'hashed' },
      why: 'thread ids are ObjectIds (increasing): hashed, so new threads spread over the shards',
      singleShard: ['ListPosts', 'CreatePost'],
      allShards: ['UpdatePost and DeletePost (by _id)', 'the outbox relay of posts'],
    },
  },
  rules: forumRules,
  auditActions: {},
  start: (deps: ForumModuleDeps): { readonly handlers: ForumServiceServer } => ({
    handlers: forumHandlers(deps.unary, new ForumService(deps.mongo, forumAccessOf(catalogReads(deps.em)), deps.tokens)),
  }),
} as const satisfies DomainModule;
