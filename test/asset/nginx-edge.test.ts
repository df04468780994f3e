import { randomBytes, randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetKind, AssetServiceClient } from '../../generated/campus/asset/v1/asset.js';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { EMBEDDED_BUCKET } from '../../src/asset/embedded-storage.js';
import { type SecureLinkKey, secureLinkSigner } from '../../src/asset/secure-link-signer.js';
import { freePort } from '../../src/server/free-port.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createAsset, upload } from './asset-support.js';
import { type NginxEdge, startNginxEdge } from './nginx-edge.js';

/**
 * A real nginx (Debian's) as the CDN edge in front of the S3-compatible
 * origin, configured with ops/nginx/asset-edge.conf: secure_link checks the
 * service's signed URLs, proxy_cache caches what it fetched.
 */

const CURRENT: SecureLinkKey = { kid: 'k2', secret: randomBytes(24).toString('base64url') };
const PREVIOUS: SecureLinkKey = { kid: 'k1', secret: randomBytes(24).toString('base64url') };
const PASSWORD = 'correct horse battery';

let server: TestServer;
let edge: NginxEdge;
let assets: AssetServiceClient;
let instructor: Metadata;
let learner: Metadata;
let itemId = '';
let lessonId = '';
let originUrl = '';
const purged: string[] = [];

beforeAll(async () => {
  const [edgePort, originPort] = [await freePort(), await freePort()];
  originUrl = `http://127.0.0.1:${originPort}/${EMBEDDED_BUCKET}/`;
  edge = await startNginxEdge({ port: edgePort, origin: `127.0.0.1:${originPort}`, bucket: EMBEDDED_BUCKET, keys: [CURRENT, PREVIOUS] });
  server = await startTestServer(
    {
      ASSET_EMBEDDED_STORAGE_PORT: String(originPort),
      ASSET_CDN_BASE_URL: edge.baseUrl,
      ASSET_URL_KEYS: `${CURRENT.kid}:${CURRENT.secret},${PREVIOUS.kid}:${PREVIOUS.secret}`,
      ASSET_SWEEP_INTERVAL_MS: '0',
    },
    { assetPurge: { purge: async (urls) => void purged.push(...urls) } },
  );
  assets = connect(AssetServiceClient, server.port);
  const users = connect(UserServiceClient, server.port);
  const teacher = await createUser(users, { role: Role.ROLE_INSTRUCTOR }, PASSWORD);
  const student = await createUser(users, { role: Role.ROLE_STUDENT }, PASSWORD);
  users.close();
  instructor = await server.signIn(teacher.email, PASSWORD);
  learner = await server.signIn(student.email, PASSWORD);
  const catalog = connect(CatalogServiceClient, server.port);
  const item = await createCatalogItem(catalog, { title: 'Edges', description: 'Caches' }, instructor);
  itemId = item.id;
  lessonId = (await createLesson(catalog, itemId, { title: 'One' }, instructor)).id;
  await call(catalog.publishCatalogItem, catalog, { id: itemId }, instructor);
  catalog.close();
  const enrollments = connect(EnrollmentServiceClient, server.port);
  await call(enrollments.enroll, enrollments, { userId: student.id, catalogItemId: itemId, requestId: randomUUID() }, learner);
  enrollments.close();
}, 60_000);

afterAll(async () => {
  assets?.close();
  await server?.close();
  await edge?.stop();
});

/** A READY asset with these bytes: lesson material unless `cover`. */
async function readyAsset(bytes: Buffer, cover = false): Promise<string> {
  const created = await createAsset(assets, instructor, cover ? { catalogItemId: itemId } : { catalogItemId: itemId, lessonId }, bytes, {
    kind: AssetKind.ASSET_KIND_DOCUMENT,
    contentType: 'application/pdf',
  });
  expect((await upload(created, bytes)).status).toBe(200);
  return (await call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor)).id;
}

const signedUrl = async (id: string) => (await call(assets.getAssetUrl, assets, { id }, learner)).url;

describe('nginx secure_link and proxy_cache in front of the origin', () => {
  it('when a learner fetches a signed URL twice, then nginx serves the bytes and the second fetch is a cache HIT', async () => {
    const bytes = randomBytes(4096);
    const id = await readyAsset(bytes);
    const first = await fetch(await signedUrl(id));
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    expect(Buffer.from(await first.arrayBuffer()).equals(bytes)).toBe(true);
    const second = await fetch(await signedUrl(id));
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('when the cover of a published item is fetched, then nginx serves it unsigned, immutable, from its cache the second time', async () => {
    const id = await readyAsset(randomBytes(100), true);
    const url = (await call(assets.getAssetUrl, assets, { id }, learner)).url;
    expect(new URL(url).search).toBe('');
    expect((await fetch(url)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(url)).headers.get('x-cache-status')).toBe('HIT');
  });

  it('when a signed URL is expired, altered, unsigned or names an unknown key, then nginx answers 403', async () => {
    const id = await readyAsset(randomBytes(100));
    const valid = new URL(await signedUrl(id));
    const plain = `${valid.origin}${valid.pathname}`;
    const expired = secureLinkSigner([CURRENT]).sign(plain, new Date(Date.now() - 1_000));
    const altered = new URL(valid);
    altered.searchParams.set('expires', String(Number(valid.searchParams.get('expires')) + 86_400));
    const otherObject = new URL(valid);
    otherObject.pathname = valid.pathname.replace(/\.pdf$/, '.png');
    const unknownKey = secureLinkSigner([{ kid: 'k9', secret: 'not a key the edge knows' }]).sign(plain, new Date(Date.now() + 60_000));
    for (const url of [expired, altered.toString(), otherObject.toString(), plain, unknownKey]) {
      expect({ url, status: (await fetch(url)).status }).toEqual({ url, status: 403 });
    }
    expect((await fetch(valid)).status).toBe(200);
  });

  it('when a URL is signed with the previous key during a rotation, then nginx still serves it', async () => {
    const id = await readyAsset(randomBytes(100));
    const valid = new URL(await signedUrl(id));
    expect(valid.searchParams.get('kid')).toBe(CURRENT.kid);
    const previous = secureLinkSigner([PREVIOUS]).sign(`${valid.origin}${valid.pathname}`, new Date(Date.now() + 60_000));
    expect((await fetch(previous)).status).toBe(200);
  });

  it('when an asset is deleted, then its object is gone at the origin, its URL is purged, and a URL not cached yet is 404 at the edge', async () => {
    const cached = await readyAsset(randomBytes(100));
    const cachedUrl = await signedUrl(cached);
    expect((await fetch(cachedUrl)).status).toBe(200);
    const uncached = await readyAsset(randomBytes(100));
    const uncachedUrl = await signedUrl(uncached);

    for (const id of [cached, uncached]) await call(assets.deleteAsset, assets, { id, etag: '' }, instructor);
    const key = (url: string) => new URL(url).pathname.slice(1);
    expect((await fetch(`${originUrl}${key(cachedUrl)}`)).status).toBe(404);
    expect((await fetch(`${originUrl}${key(uncachedUrl)}`)).status).toBe(404);
    expect((await fetch(uncachedUrl)).status).toBe(404);
    expect(purged).toEqual([cachedUrl.split('?')[0], uncachedUrl.split('?')[0]]);
  });
});
