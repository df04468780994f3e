import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStorage, startEmbeddedStorage } from '../../src/asset/embedded-storage.js';
import { type ObjectStorage, s3Storage } from '../../src/asset/object-storage.js';

/**
 * The real AWS SDK v3 against the embedded S3-compatible server. s3rver
 * itself checks a presigned URL's expiry and access key but not its SigV4
 * signature; the check in front of it does, and these tests hold it to that.
 */

let dir: string;
let embedded: EmbeddedStorage;
let storage: ObjectStorage;
let sdk: S3Client;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'campus-s3-'));
  embedded = await startEmbeddedStorage(dir, '127.0.0.1', 0);
  storage = s3Storage(embedded.settings);
  sdk = new S3Client({ ...embedded.settings, requestChecksumCalculation: 'WHEN_REQUIRED' });
});

afterAll(async () => {
  sdk?.destroy();
  storage?.close();
  await embedded?.stop();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const key = () => `private/${'0'.repeat(64)}/${crypto.randomUUID()}.bin`;

async function put(url: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return (await fetch(url, { method: 'PUT', headers, body })).status;
}

describe('presigned uploads against the embedded storage', () => {
  it('when the presigned PUT is used as issued, then the object is stored with its size and content type', async () => {
    const bytes = randomBytes(300);
    const k = key();
    const upload = await storage.presignPut(k, { contentType: 'application/octet-stream', sha256: sha256(bytes) }, 60);
    expect(await put(upload.url, { ...upload.headers }, bytes)).toBe(200);
    expect(await storage.head(k)).toMatchObject({ sizeBytes: 300n, contentType: 'application/octet-stream' });
    expect(await storage.sha256Of(k)).toBe(sha256(bytes));
  });

  it('when the signature, the key or a signed header is tampered with, then the upload is refused with 403 and nothing is stored', async () => {
    const bytes = randomBytes(10);
    const k = key();
    const upload = await storage.presignPut(k, { contentType: 'application/octet-stream', sha256: sha256(bytes) }, 60);
    const signature = new URL(upload.url);
    const s = signature.searchParams.get('X-Amz-Signature') ?? '';
    signature.searchParams.set('X-Amz-Signature', `${s[0] === 'a' ? 'b' : 'a'}${s.slice(1)}`);
    const otherKey = new URL(upload.url);
    otherKey.pathname = otherKey.pathname.replace(/\.bin$/, '.zip');
    const longer = new URL(upload.url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect(await put(signature.toString(), { ...upload.headers }, bytes)).toBe(403);
    expect(await put(otherKey.toString(), { ...upload.headers }, bytes)).toBe(403);
    expect(await put(longer.toString(), { ...upload.headers }, bytes)).toBe(403);
    expect(await put(upload.url, { ...upload.headers, 'content-type': 'text/html' }, bytes)).toBe(403);
    expect(await storage.head(k)).toBeUndefined();
    expect(await storage.head(otherKey.pathname.split('/').slice(2).join('/'))).toBeUndefined();
  });

  it('when a presigned URL has expired, then it is refused with 403', async () => {
    const k = key();
    const upload = await storage.presignPut(k, { contentType: 'application/octet-stream', sha256: sha256(Buffer.from('x')) }, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await put(upload.url, { ...upload.headers }, Buffer.from('x'))).toBe(403);
    expect(await storage.head(k)).toBeUndefined();
  });

  it('when a presigned GET of another secret is used, then it is refused while the right one is served', async () => {
    const bytes = randomBytes(20);
    const k = key();
    const upload = await storage.presignPut(k, { contentType: 'application/octet-stream', sha256: sha256(bytes) }, 60);
    await put(upload.url, { ...upload.headers }, bytes);
    const right = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: embedded.settings.bucket, Key: k }), { expiresIn: 60 });
    const wrongClient = new S3Client({ ...embedded.settings, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' } });
    const wrong = await getSignedUrl(wrongClient, new GetObjectCommand({ Bucket: embedded.settings.bucket, Key: k }), { expiresIn: 60 });
    wrongClient.destroy();
    expect((await fetch(right)).status).toBe(200);
    expect((await fetch(wrong)).status).toBe(403);
  });

  it('when the SDK signs requests in the Authorization header, then they pass the check; a wrong secret does not', async () => {
    const k = key();
    const wrongClient = s3Storage({ ...embedded.settings, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' } });
    try {
      await expect(wrongClient.delete(k)).rejects.toThrow();
    } finally {
      wrongClient.close();
    }
    await expect(storage.delete(k)).resolves.toBeUndefined();
  });
});
