import { POST_SCHEMA_VERSION } from './post.entity.js';

/**
 * The shapes `forum_posts` documents have had. The service writes only the
 * current one; readers pass every stored document through
 * `upgradePostDocument`, and an update rewrites a post in the current shape.
 *
 * - version 1 (no `schemaVersion` field): the text was in `text`; there were
 *   no attributes, no replies and no soft delete.
 * - version 2: `body`, `attributes`, `parentPostId`, `deleteTime`/`deletedBy`,
 *   and `schemaVersion: 2`.
 */
export type StoredPostDocument = Record<string, unknown>;

/**
 * A stored post document in the current shape. `schemaVersion` keeps the
 * version it was stored in, so the caller can tell it was upgraded.
 */
export function upgradePostDocument(doc: StoredPostDocument): StoredPostDocument {
  const stored = typeof doc.schemaVersion === 'number' ? doc.schemaVersion : 1;
  if (stored > POST_SCHEMA_VERSION) {
    // Written by a newer release: read what this one knows, change nothing.
    return doc;
  }
  let upgraded = doc;
  if (stored < 2) {
    const { text, ...rest } = upgraded;
    upgraded = {
      ...rest,
      body: typeof text === 'string' ? text : '',
      attributes: {},
      parentPostId: null,
      deleteTime: null,
      deletedBy: null,
    };
  }
  return { ...upgraded, attributes: upgraded.attributes ?? {}, schemaVersion: stored };
}

/** Fields an update `$unset`s so that no earlier shape's field survives it. */
export const LEGACY_POST_FIELDS = ['text'] as const;
