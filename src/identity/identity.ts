import type { EntityManager } from '@mikro-orm/core';
import type { UserRole } from './user.entity.js';
import { UserRepository } from './user.repository.js';

/**
 * What the other domains read of the identity domain's tables (users,
 * sessions): nobody else queries them (see
 * test/architecture/table-ownership.test.ts).
 */
export interface IdentityReads {
  /** The role of each user among `ids` that has a row, deleted users included. */
  rolesOf(ids: readonly string[]): Promise<Map<string, string>>;
  /** The role of a user who is not deleted; undefined when there is no such user. */
  liveRoleOf(id: string): Promise<UserRole | undefined>;
}

/** IdentityReads over `em` (the request's unit of work, or a transaction's). */
export function identityReads(em: EntityManager): IdentityReads {
  return {
    rolesOf: (ids) => UserRepository.of(em).rolesOf(ids),
    liveRoleOf: async (id) => (await UserRepository.of(em).readById(id))?.role,
  };
}
