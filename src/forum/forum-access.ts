import type { EntityManager } from '@mikro-orm/core';

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

/** Unknown or deleted users get no row of `users` and so the role `none`. */
const ROLE_QUERY = `
  select u.role = 'admin' or ci.instructor_id = u.id as moderator,
         exists (select 1 from enrollments e
                  where e.user_id = u.id and e.catalog_item_id = ci.id
                    and e.status in ('active', 'completed')) as member
    from catalog_items ci
    left join users u on u.id = ? and u.delete_time is null
   where ci.id = ?`;

/** ForumAccess over PostgreSQL: one query per check. */
export function postgresForumAccess(em: EntityManager): ForumAccess {
  return {
    async roleIn(catalogItemId, userId) {
      const rows = await em
        .getConnection()
        .execute<{ moderator: boolean | null; member: boolean | null }[]>(ROLE_QUERY, [userId, catalogItemId], 'all');
      const row = rows[0];
      if (!row) return undefined;
      if (row.moderator) return 'moderator';
      return row.member ? 'member' : 'none';
    },
  };
}
