import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a request looks like to a signature check: the raw path and query as sent, lower-case header names. */
export interface SignedRequest {
  readonly method: string;
  /** The path and query exactly as on the request line. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Verifies AWS Signature Version 4 (presigned query or Authorization header)
 * against the secret of the access key it names, the way S3 does: the
 * canonical request rebuilt from what arrived, the signing key derived from
 * the secret and the credential scope. True for an unsigned request (the
 * store decides what anonymous callers may do), false for any signature that
 * does not match. Expiry is left to the store.
 */
export function sigV4Matches(req: SignedRequest, secretOf: (accessKeyId: string) => string | undefined): boolean {
  const [rawPath = '/', rawQuery = ''] = splitOnce(req.url, '?');
  const query = parseQuery(rawQuery);
  const fromQuery = query.some(([k]) => k === 'X-Amz-Algorithm');
  const authorization = header(req, 'authorization');
  if (!fromQuery && !authorization?.startsWith('AWS4-HMAC-SHA256 ')) return true;

  let credential: string;
  let signedHeaders: string;
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  if (fromQuery) {
    const get = (name: string) => query.find(([k]) => k === name)?.[1] ?? '';
    credential = get('X-Amz-Credential');
    signedHeaders = get('X-Amz-SignedHeaders');
    signature = get('X-Amz-Signature');
    amzDate = get('X-Amz-Date');
    payloadHash = get('X-Amz-Content-Sha256') || 'UNSIGNED-PAYLOAD';
  } else {
    const fields = Object.fromEntries(
      (authorization ?? '')
        .slice('AWS4-HMAC-SHA256 '.length)
        .split(',')
        .map((part) => splitOnce(part.trim(), '=')),
    );
    credential = fields.Credential ?? '';
    signedHeaders = fields.SignedHeaders ?? '';
    signature = fields.Signature ?? '';
    amzDate = header(req, 'x-amz-date') ?? '';
    payloadHash = header(req, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminal = ''] = credential.split('/');
  const secret = secretOf(accessKeyId);
  if (secret === undefined || terminal !== 'aws4_request' || !/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date)) return false;

  const canonicalQuery = query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, rawPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function header(req: SignedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw.split('&').map((pair) => {
    const [k = '', v = ''] = splitOnce(pair, '=');
    return [decode(k), decode(v)];
  });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function splitOnce(s: string, separator: string): [string, string] {
  const at = s.indexOf(separator);
  return at < 0 ? [s, ''] : [s.slice(0, at), s.slice(at + separator.length)];
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
