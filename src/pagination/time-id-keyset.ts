import { keysetPage, malformedPageToken, type Page } from './keyset-page.js';
import type { PageTokens } from './page-token.js';

export type { Page };

/** A row's place in a list ordered by (time, id) descending: newest first. */
export interface TimeIdPosition {
  readonly time: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The position a page token carries for `query`, or undefined for the first
 * page. A token of another query, or one that was edited, is INVALID_ARGUMENT.
 */
export function decodeTimeIdToken(tokens: PageTokens, token: string, query: string): TimeIdPosition | undefined {
  const key = tokens.decode(token, query);
  if (key === undefined) return undefined;
  const [time, id] = key;
  const at = typeof time === 'string' ? new Date(time) : undefined;
  if (at === undefined || Number.isNaN(at.getTime()) || typeof id !== 'string' || !UUID.test(id) || key.length !== 2) {
    throw malformedPageToken();
  }
  return { time: at, id };
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
  return keysetPage(rows, limit, tokens, query, (row) => {
    const { time, id } = positionOf(row);
    return [time.toISOString(), id];
  });
}
