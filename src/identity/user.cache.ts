import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '../cache/cache.js';
import type { CachedResource } from '../cache/cached-resource.js';
import { type Codec, jsonCodec } from '../cache/codec.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { UserData } from './user.entity.js';
import { UserRepository } from './user.repository.js';

/**
 * GetUser through the cache: key `v2:user:{<id>}` (lower-case id), the
 * Cache's TTLs; a deleted user is cached as NOT_FOUND. Invalidated after the
 * commit of CreateUser (a NOT_FOUND may be cached), UpdateUser and DeleteUser.
 * Sessions are not here: they have their own store (SessionStore).
 *
 * Names and emails are personal data: in Redis they are sealed with the same
 * key ring as in PostgreSQL, so a dump of either holds no plaintext.
 */
export class UserCache {
  private readonly users: CachedResource<string, UserData>;

  constructor(
    cache: Cache,
    /** The request-scoped PostgreSQL EntityManager. */
    em: EntityManager,
    keyRing: KeyRing,
  ) {
    this.users = cache.resource<string, UserData>({
      name: 'user',
      // 2: values sealed (1 held them in the clear).
      version: 2,
      codec: sealedCodec(jsonCodec<UserData>(['createTime', 'updateTime']), keyRing),
      load: async (ids) => {
        const repository = UserRepository.of(em);
        const rows = ids.length === 1 ? [await repository.readById(ids[0] as string)] : await repository.readByIds(ids);
        return new Map(rows.filter((row) => row !== null).map((row) => [row.id, row]));
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

const CONTEXT = 'cache.user';

function sealedCodec<V>(inner: Codec<V>, keyRing: KeyRing): Codec<V> {
  return {
    encode: (value) => keyRing.seal(inner.encode(value), CONTEXT),
    decode: (raw) => inner.decode(keyRing.open(raw, CONTEXT)),
  };
}
