import { ForumServiceService } from '../../generated/campus/forum/v1/forum.js';
import type { DomainModule } from '../domain-module.js';
import { forumRules } from './forum.rules.js';
import { PostSchema } from './post.entity.js';
import { ThreadSchema } from './thread.entity.js';

/** The forums of catalog items: threads and posts (MongoDB). */
export const forumModule = {
  definitions: [ForumServiceService],
  entities: [],
  mongoEntities: [ThreadSchema, PostSchema],
  rules: forumRules,
  auditActions: {},
} as const satisfies DomainModule;
