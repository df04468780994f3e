import { DomainError } from '../errors/domain-error.js';
import type { PageTokens } from './page-token.js';

/** A row's place in a list ordered by (time, id) descending: newest first. */
export interface TimeIdPosition {
  readonly time: Date;
  readonly id: string;
}

/**
 * The position a page token carries for `query`, or undefined for the first
 * page. A token of another query, or one that was edited, is INVALID_ARGUMENT.
 */
export function decodeTimeIdToken(tokens: PageTokens, token: string, query: string): TimeIdPosition | undefined {
  const key = tokens.decode(token, query);
  if (key === undefined) return undefined;
  const [time, id] = key;
  const at = typeof time === 'string' ? new Date(time) : undefined;
  if (at === undefined || Number.isNaN(at.getTime()) || typeof id !== 'string' || key.length !== 2) {
    const description = 'page_token is not a token this service issued';
    throw new DomainError('INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN', description, {
      fieldViolations: [{ field: 'page_token', reason: 'INVALID_PAGE_TOKEN', description }],
    });
  }
  return { time: at, id };
}

export interface Page<T> {
  readonly items: T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * Cuts `rows` (fetched with `limit + 1`, so one extra row says another page
 * exists) to a page and signs the position of its last row.
 */
export function timeIdPage<T>(
  rows: T[],
  limit: number,
  tokens: PageTokens,
  query: string,
  positionOf: (row: T) => TimeIdPosition,
): Page<T> {
  if (rows.length <= limit) return { items: rows, nextPageToken: '' };
  const items = rows.slice(0, limit);
  const last = positionOf(items[items.length - 1] as T);
  return { items, nextPageToken: tokens.encode(query, [last.time.toISOString(), last.id]) };
}
