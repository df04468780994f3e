import type { DomainError } from '../errors/domain-error.js';
import { invalidPageToken, type PageTokens } from './page-token.js';

/** One page of a keyset-paginated list. */
export interface Page<T> {
  readonly items: T[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
}

type Key = readonly (string | number | boolean | null)[];

/**
 * Turns the `size + 1` rows a keyset query fetched into a page: the extra row
 * only tells that a next page exists; the token points just after the last
 * row served, for the query described by `query`.
 */
export function keysetPage<T>(rows: T[], size: number, tokens: PageTokens, query: string, keyOf: (row: T) => Key): Page<T> {
  if (rows.length <= size) return { items: rows, nextPageToken: '' };
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextPageToken: last === undefined ? '' : tokens.encode(query, keyOf(last)) };
}

/**
 * For a signed token whose position does not fit the query it is bound to
 * (only possible if the signing secret leaked): refused like any bad token.
 */
export function malformedPageToken(field = 'page_token'): DomainError {
  return invalidPageToken(field, `${field} is not a token this service issued`);
}
