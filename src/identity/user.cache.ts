import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '../cache/cache.js';
import type { CachedResource } from '../cache/cached-resource.js';
import { jsonCodec } from '../cache/codec.js';
import { UserSchema } from './user.entity.js';
import { type UserData, userData } from './user-data.js';

/**
 * GetUser through the cache: key `v1:user:{<id>}` (lower-case id), the
 * Cache's TTLs; a deleted user is cached as NOT_FOUND. Invalidated after the
 * commit of CreateUser (a NOT_FOUND may be cached), UpdateUser and DeleteUser.
 * Sessions are not here: they have their own store (SessionStore).
 */
export class UserCache {
  private readonly users: CachedResource<string, UserData>;

  constructor(
    cache: Cache,
    /** The request-scoped PostgreSQL EntityManager. */
    em: EntityManager,
  ) {
    this.users = cache.resource<string, UserData>({
      name: 'user',
      version: 1,
      codec: jsonCodec<UserData>(['createTime', 'updateTime']),
      load: async (ids) => {
        const repository = em.getRepository(UserSchema);
        const rows = ids.length === 1 ? [await repository.findById(ids[0] as string)] : await repository.findByIds(ids);
        return new Map(rows.filter((row) => row !== null).map((row) => [row.id, userData(row)]));
      },
    });
  }

  /** The live user, or undefined when there is none (or it was deleted). */
  get(id: string): Promise<UserData | undefined> {
    return this.users.get(id.toLowerCase());
  }

  /** After the commit that changed these users. Never throws. */
  invalidate(ids: readonly string[]): Promise<void> {
    return this.users.invalidate(ids.map((id) => id.toLowerCase()));
  }
}
