import type { ItemStanding } from '../catalog/catalog.js';

/**
 * What a user may do in the forum of a catalog item:
 * - `moderator`: the item's instructor or an admin; writes, and deletes any post;
 * - `member`: enrolled (active or completed); writes;
 * - `none`: reads only.
 */
export type ForumRole = 'moderator' | 'member' | 'none';

/** The forum's view of who may write where; the facts live in PostgreSQL. */
export interface ForumAccess {
  /** The user's role in the item's forum; undefined when there is no such catalog item. */
  roleIn(catalogItemId: string, userId: string): Promise<ForumRole | undefined>;
}

/**
 * ForumAccess from the catalog's standing of a user towards an item
 * (CatalogReads.standingOf): one query per check. Unknown or deleted users
 * stand nowhere and so get the role `none`.
 */
export function forumAccessOf(catalog: {
  standingOf(catalogItemId: string, userId: string): Promise<ItemStanding | undefined>;
}): ForumAccess {
  return {
    async roleIn(catalogItemId, userId) {
      const standing = await catalog.standingOf(catalogItemId, userId);
      if (!standing) return undefined;
      if (standing.teachesOrAdmin) return 'moderator';
      return standing.enrolled ? 'member' : 'none';
    },
  };
}
