import type { EntityManager } from '@mikro-orm/core';
import type { Cache } from '../cache/cache.js';
import { newGenerationToken } from '../cache/cache-store.js';
import type { CachedResource } from '../cache/cached-resource.js';
import type { KeyValueCache } from '../cache/key-value-cache.js';
import type { DomainEvents } from '../events/domain-events.js';
import { LessonProgressRepository } from './lesson-progress.repository.js';
import type { Progress, ProgressReader } from './progress-reader.js';

interface ProgressKey {
  readonly userId: string;
  readonly catalogItemId: string;
  /** The item's lessons version the entry was read under. */
  readonly lessons: string;
}

/** How long an item's lessons version lives unchanged; when it expires, the item's progress entries are simply read afresh. */
const LESSONS_VERSION_TTL_MS = 24 * 60 * 60_000;

/**
 * GetProgress through the cache. A progress depends on two things: the
 * learner's enrollment and completions, and the item's lessons (their count
 * gives the percent, their order the order of completed ids). So the key is
 * `v1:progress:{<item>:<user>:<lessons version>}`, where the lessons version
 * is a random token kept per item under `v1:progress_lessons:<item>`:
 *
 * - a learner's write (enroll, cancel, refund, lesson completion) invalidates
 *   that learner's entry under the item's current version, after its commit;
 * - a lesson write (create, update, delete; the catalog announces it after
 *   its commit as `catalog.lessons_changed`) drops the item's version, so
 *   every learner's next read uses a new key and loads afresh, without
 *   touching each learner's entry (they expire by TTL).
 *
 * Why a learner's invalidation cannot miss a stale entry: the writer reads
 * the version after its commit. An entry that holds data from before that
 * commit was loaded under a version read before it, so either that version
 * is the one the writer reads (and the writer moves that key's generation,
 * which also stops a load still in flight from writing it back), or it was
 * replaced since, and no reader uses it again. When the writer cannot read
 * the version (Redis down, or none yet), it drops the version instead: that
 * invalidation is replayed if it fails, like any other.
 */
export class ProgressCache implements ProgressReader {
  private readonly entries: CachedResource<ProgressKey, Progress>;
  private readonly lessonVersions: KeyValueCache;

  constructor(
    private readonly cache: Cache,
    /** The request-scoped PostgreSQL EntityManager. */
    em: EntityManager,
    /** What the other domains announce after their commits; the lesson writes invalidate progress. */
    events?: DomainEvents,
  ) {
    events?.on('catalog.lessons_changed', ({ catalogItemId }) => this.invalidateItem(catalogItemId));
    this.entries = cache.resource<ProgressKey, Progress>({
      name: 'progress',
      version: 1,
      idOf: (key) => `${key.catalogItemId}:${key.userId}:${key.lessons}`,
      load: async (keys) => {
        const repository = LessonProgressRepository.of(em);
        const loaded = new Map<string, Progress>();
        // Only GetProgress reads here, one key per call.
        for (const key of keys) {
          const progress = await repository.progress(key.userId, key.catalogItemId);
          if (progress) loaded.set(`${key.catalogItemId}:${key.userId}:${key.lessons}`, progress);
        }
        return loaded;
      },
    });
    this.lessonVersions = cache.keyValue('progress_lessons', 1);
  }

  async progress(userId: string, catalogItemId: string): Promise<Progress | undefined> {
    const key = { userId: userId.toLowerCase(), catalogItemId: catalogItemId.toLowerCase() };
    const lessons = this.cache.enabled ? await this.lessonsVersion(key.catalogItemId) : '';
    return this.entries.get({ ...key, lessons });
  }

  /** After the commit of a write to this learner's enrollment or completions in the item. Never throws. */
  async invalidate(userId: string, catalogItemId: string): Promise<void> {
    const itemId = catalogItemId.toLowerCase();
    const lessons = await this.lessonVersions.get(itemId);
    if (lessons === null) return this.invalidateItem(itemId);
    await this.entries.invalidate([{ userId: userId.toLowerCase(), catalogItemId: itemId, lessons }]);
  }

  /** After the commit of a change to the item's lessons: every learner's progress of the item. Never throws. */
  invalidateItem(catalogItemId: string): Promise<void> {
    return this.lessonVersions.del([catalogItemId.toLowerCase()]);
  }

  /** The item's current lessons version, made on first use (a fresh random token, so it never matches an older one). */
  private async lessonsVersion(itemId: string): Promise<string> {
    const current = await this.lessonVersions.get(itemId);
    if (current !== null) return current;
    const fresh = newGenerationToken();
    if (await this.lessonVersions.setIfAbsent(itemId, fresh, LESSONS_VERSION_TTL_MS)) return fresh;
    // Another reader made one first, or the store is unreachable (then the fresh token just misses).
    return (await this.lessonVersions.get(itemId)) ?? fresh;
  }
}
