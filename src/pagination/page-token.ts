import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors/domain-error.js';

/**
 * Opaque keyset page tokens: the sort key and id of the last row served, bound
 * to the query they belong to and signed, so a token that was edited, or is
 * replayed against another filter or order, is refused with INVALID_ARGUMENT.
 * Keyset positions stay right while rows are inserted, unlike offsets.
 */
export class PageTokens {
  /** A KeyObject, not bytes: createHmac turns bytes into a key on every call, several times the cost of the HMAC itself. */
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(createHash('sha256').update(`page-token:${secret}`).digest());
  }

  /** Encodes the position after `last` for the query described by `query`. */
  encode(query: string, last: readonly (string | number | boolean | null)[]): string {
    const body = Buffer.from(JSON.stringify({ q: queryHash(query), k: last })).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The position in a token, or undefined for an empty token (the first page). */
  decode(token: string, query: string, field = 'page_token'): (string | number | boolean | null)[] | undefined {
    if (token === '') return undefined;
    const [body, signature, extra] = token.split('.');
    if (body === undefined || signature === undefined || extra !== undefined || !this.verify(body, signature)) {
      throw invalidPageToken(field, 'page_token is not a token this service issued');
    }
    let parsed: { q?: unknown; k?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      throw invalidPageToken(field, 'page_token is not a token this service issued');
    }
    if (parsed.q !== queryHash(query) || !Array.isArray(parsed.k)) {
      throw invalidPageToken(field, 'page_token belongs to a query with other filters or order');
    }
    return parsed.k as (string | number | boolean | null)[];
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, 16).toString('base64url');
  }

  private verify(body: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** Query descriptions hashed lately: a list asks for the same few (one per filter and order) on every page. */
const queryHashes = new Map<string, string>();
const MAX_QUERY_HASHES = 1024;

function queryHash(query: string): string {
  let hash = queryHashes.get(query);
  if (hash === undefined) {
    hash = createHash('sha256').update(query).digest().subarray(0, 8).toString('base64url');
    if (queryHashes.size >= MAX_QUERY_HASHES) queryHashes.clear();
    queryHashes.set(query, hash);
  }
  return hash;
}

/** INVALID_ARGUMENT naming the page token field: the one error every refused token gets. */
export function invalidPageToken(field: string, description: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN', description, {
    fieldViolations: [{ field, reason: 'INVALID_PAGE_TOKEN', description }],
  });
}
