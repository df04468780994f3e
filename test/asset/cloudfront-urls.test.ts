import { generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetKind, AssetServiceClient } from '../../generated/campus/asset/v1/asset.js';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { call, connect } from '../support/grpc.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createAsset, upload } from './asset-support.js';

/**
 * ASSET_URL_SIGNER=cloudfront: delivery URLs are CloudFront signed URLs with
 * a canned policy, checked here as CloudFront checks them: the RSA-SHA1
 * signature over the canned policy, verified with the public key.
 */

const CDN = 'https://d111111abcdef8.cloudfront.net/';
const KEY_PAIR_ID = 'K2JCJMDEHXQW5F';
const PASSWORD = 'correct horse battery';
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let dir: string;
let server: TestServer;
let assets: AssetServiceClient;
let instructor: Metadata;
let learner: Metadata;
let itemId = '';
let lessonId = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'campus-cf-'));
  const keyFile = path.join(dir, 'cloudfront.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  server = await startTestServer({
    ASSET_URL_SIGNER: 'cloudfront',
    ASSET_CLOUDFRONT_KEY_PAIR_ID: KEY_PAIR_ID,
    ASSET_CLOUDFRONT_PRIVATE_KEY_FILE: keyFile,
    ASSET_CDN_BASE_URL: CDN,
    ASSET_URL_TTL_S: '120',
    ASSET_SWEEP_INTERVAL_MS: '0',
  });
  assets = connect(AssetServiceClient, server.port);
  const users = connect(UserServiceClient, server.port);
  const teacher = await createUser(users, { role: Role.ROLE_INSTRUCTOR }, PASSWORD);
  const student = await createUser(users, { role: Role.ROLE_STUDENT }, PASSWORD);
  users.close();
  instructor = await server.signIn(teacher.email, PASSWORD);
  learner = await server.signIn(student.email, PASSWORD);
  const catalog = connect(CatalogServiceClient, server.port);
  itemId = (await createCatalogItem(catalog, { title: 'Signed', description: 'URLs' }, instructor)).id;
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
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** CloudFront's URL-safe base64: + becomes -, = becomes _, / becomes ~. */
const fromCloudFrontBase64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

describe('CloudFront signed URLs', () => {
  it('when a learner asks for lesson material, then the URL carries a canned-policy signature the public key verifies', async () => {
    const bytes = Buffer.from('%PDF-1.4 signed');
    const created = await createAsset(assets, instructor, { catalogItemId: itemId, lessonId }, bytes, {
      kind: AssetKind.ASSET_KIND_DOCUMENT,
      contentType: 'application/pdf',
    });
    await upload(created, bytes);
    const id = (await call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor)).id;
    const issued = await call(assets.getAssetUrl, assets, { id }, learner);
    const url = new URL(issued.url);
    expect(`${url.origin}/`).toBe(CDN);
    expect(url.searchParams.get('Key-Pair-Id')).toBe(KEY_PAIR_ID);
    const expires = Number(url.searchParams.get('Expires'));
    expect(expires).toBe(Math.floor((issued.expireTime?.getTime() ?? 0) / 1000));
    expect(expires * 1000 - Date.now()).toBeLessThanOrEqual(120_000);
    expect(expires * 1000).toBeGreaterThan(Date.now());

    const resource = `${url.origin}${url.pathname}`;
    const policy = (resource: string, epoch: number) =>
      JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': epoch } } }] });
    const signature = fromCloudFrontBase64(url.searchParams.get('Signature') ?? '');
    expect(verify('RSA-SHA1', Buffer.from(policy(resource, expires)), publicKey, signature)).toBe(true);
    // The signature binds the object and the expiry: another of either does not verify.
    expect(verify('RSA-SHA1', Buffer.from(policy(resource, expires + 3600)), publicKey, signature)).toBe(false);
    expect(verify('RSA-SHA1', Buffer.from(policy(resource.replace('.pdf', '.png'), expires)), publicKey, signature)).toBe(false);
  });
});
