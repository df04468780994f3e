import { randomBytes, randomUUID } from 'node:crypto';
import { type Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AssetKind, AssetServiceClient, AssetState } from '../../generated/campus/asset/v1/asset.js';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { queryRows } from '../support/databases.js';
import { anonymous, call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';
import { createAsset, sha256Hex, upload } from './asset-support.js';

/**
 * The whole asset flow through the gRPC API on the embedded default: the
 * embedded S3-compatible storage and edge, presigned uploads made with fetch
 * as curl would, delivery URLs fetched from the edge.
 */

const PASSWORD = 'correct horse battery';
let server: TestServer;
let assets: AssetServiceClient;
let catalog: CatalogServiceClient;
const purged: string[] = [];
let instructor: Metadata;
let learner: Metadata;
let outsider: Metadata;
let itemId = '';
let lessonId = '';
const coverBytes = randomBytes(2048);
const slidesBytes = Buffer.from('%PDF-1.4 lesson one slides\n');
let coverId = '';
let slidesId = '';

useTestServer(
  {
    env: { ASSET_SWEEP_INTERVAL_MS: '0', ASSET_URL_TTL_S: '60' },
    overrides: { assetPurge: { purge: async (urls) => void purged.push(...urls) } },
    hookTimeoutMs: 60_000,
  },
  async (s, scope) => {
    server = s;
    assets = scope.connect(AssetServiceClient);
    catalog = scope.connect(CatalogServiceClient);
    const users = scope.connect(UserServiceClient);
    const signUp = async (role: Role) => {
      const user = await createUser(users, { role }, PASSWORD);
      return { id: user.id, metadata: await server.signIn(user.email, PASSWORD) };
    };
    const teacher = await signUp(Role.ROLE_INSTRUCTOR);
    const student = await signUp(Role.ROLE_STUDENT);
    instructor = teacher.metadata;
    learner = student.metadata;
    outsider = (await signUp(Role.ROLE_STUDENT)).metadata;
    users.close();
    const item = await createCatalogItem(catalog, { title: 'Storage 101', description: 'Objects' }, instructor);
    itemId = item.id;
    const lesson = await createLesson(catalog, itemId, { title: 'Buckets' }, instructor);
    lessonId = lesson.id;
    await call(catalog.publishCatalogItem, catalog, { id: itemId }, instructor);
    const enrollments = scope.connect(EnrollmentServiceClient);
    await call(enrollments.enroll, enrollments, { userId: student.id, catalogItemId: itemId, requestId: randomUUID() }, learner);
    enrollments.close();
  },
);

describe('uploading', () => {
  it('when the instructor creates an asset, uploads with the presigned URL and completes it, then it is READY', async () => {
    const created = await createAsset(assets, instructor, { catalogItemId: itemId }, coverBytes);
    expect(created.asset?.state).toBe(AssetState.ASSET_STATE_PENDING);
    expect(created.upload?.url).toContain(created.asset?.sha256);
    expect((await upload(created, coverBytes)).status).toBe(200);
    const ready = await call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor);
    expect(ready.state).toBe(AssetState.ASSET_STATE_READY);
    coverId = ready.id;

    const slides = await createAsset(assets, instructor, { catalogItemId: itemId, lessonId }, slidesBytes, {
      kind: AssetKind.ASSET_KIND_DOCUMENT,
      contentType: 'application/pdf',
    });
    expect((await upload(slides, slidesBytes)).status).toBe(200);
    slidesId = (await call(assets.completeAssetUpload, assets, { id: slides.asset?.id ?? '' }, instructor)).id;
  });

  it('when the uploaded size differs from the declared one, then completing fails with FAILED_PRECONDITION and the asset stays PENDING', async () => {
    const declared = randomBytes(100);
    const created = await createAsset(assets, instructor, { catalogItemId: itemId }, declared);
    await upload(created, declared.subarray(0, 60));
    const refused = await failure(call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.reason).toBe('SIZE_MISMATCH');
    expect((await call(assets.getAsset, assets, { id: created.asset?.id ?? '' }, instructor)).state).toBe(AssetState.ASSET_STATE_PENDING);
  });

  it('when the uploaded bytes have another checksum, then completing fails with FAILED_PRECONDITION and the asset stays PENDING', async () => {
    const declared = randomBytes(100);
    const created = await createAsset(assets, instructor, { catalogItemId: itemId }, declared);
    await upload(created, randomBytes(100));
    const refused = await failure(call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.reason).toBe('CHECKSUM_MISMATCH');
    expect((await call(assets.getAsset, assets, { id: created.asset?.id ?? '' }, instructor)).state).toBe(AssetState.ASSET_STATE_PENDING);
  });

  it('when nothing was uploaded, then completing fails with FAILED_PRECONDITION OBJECT_MISSING', async () => {
    const created = await createAsset(assets, instructor, { catalogItemId: itemId }, randomBytes(10));
    const refused = await failure(call(assets.completeAssetUpload, assets, { id: created.asset?.id ?? '' }, instructor));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.reason).toBe('OBJECT_MISSING');
  });

  it('when the content type is not one of the kind, then CreateAsset is INVALID_ARGUMENT naming the field', async () => {
    const refused = await failure(
      createAsset(assets, instructor, { catalogItemId: itemId }, randomBytes(10), { contentType: 'text/html' }),
    );
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.fieldViolations.map((v) => v.field)).toEqual(['asset.content_type']);
  });

  it('when the same request_id is sent twice, then the second call returns the first asset', async () => {
    const bytes = randomBytes(10);
    const request = {
      asset: {
        id: '',
        catalogItemId: itemId,
        lessonId: '',
        kind: AssetKind.ASSET_KIND_IMAGE,
        contentType: 'image/png',
        sizeBytes: 10n,
        sha256: sha256Hex(bytes),
        state: 0,
        etag: '',
      },
      requestId: randomUUID(),
    };
    const first = await call(assets.createAsset, assets, request, instructor);
    const again = await call(assets.createAsset, assets, request, instructor);
    expect(again.asset?.id).toBe(first.asset?.id);
  });
});

describe('delivery', () => {
  it('when an enrolled learner asks for lesson material, then the signed URL serves the bytes from the edge', async () => {
    const url = await call(assets.getAssetUrl, assets, { id: slidesId }, learner);
    expect(url.public).toBe(false);
    expect(url.expireTime?.getTime()).toBeGreaterThan(Date.now());
    const res = await fetch(url.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(slidesBytes)).toBe(true);
    const batch = await call(assets.batchGetAssetUrls, assets, { lessonId }, learner);
    expect(batch.urls.map((u) => u.assetId)).toEqual([slidesId]);
  });

  it('when a signed URL is altered, then the edge answers 403', async () => {
    const url = new URL((await call(assets.getAssetUrl, assets, { id: slidesId }, learner)).url);
    url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await fetch(url)).status).toBe(403);
    url.search = '';
    expect((await fetch(url)).status).toBe(403);
  });

  it('when an anonymous caller or a student not enrolled asks for lesson material, then it is NOT_FOUND like a hidden item', async () => {
    // anonymous() marks one call only: a fresh one each time.
    for (const as of [anonymous, () => outsider]) {
      expect((await failure(call(assets.getAssetUrl, assets, { id: slidesId }, as()))).code).toBe(status.NOT_FOUND);
      expect((await failure(call(assets.getAsset, assets, { id: slidesId }, as()))).code).toBe(status.NOT_FOUND);
      expect((await failure(call(assets.batchGetAssetUrls, assets, { lessonId }, as()))).code).toBe(status.NOT_FOUND);
    }
    const listed = await call(assets.listAssets, assets, { catalogItemId: itemId, lessonId: '', pageSize: 0, pageToken: '' }, anonymous());
    expect(listed.assets.map((a) => a.id)).toEqual([coverId]);
  });

  it('when an anonymous caller asks for the cover of the published item, then it gets a stable public URL cached for good', async () => {
    const url = await call(assets.getAssetUrl, assets, { id: coverId }, anonymous());
    expect(url.public).toBe(true);
    expect(url.expireTime).toBeUndefined();
    expect(url.url).toBe((await call(assets.getAssetUrl, assets, { id: coverId }, anonymous())).url);
    const res = await fetch(url.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await res.arrayBuffer()).equals(coverBytes)).toBe(true);
  });

  it('when the item is unpublished, then no public URL is issued for its cover any more', async () => {
    await call(catalog.unpublishCatalogItem, catalog, { id: itemId }, instructor);
    try {
      expect((await failure(call(assets.getAssetUrl, assets, { id: coverId }, anonymous()))).code).toBe(status.NOT_FOUND);
      expect((await call(assets.getAssetUrl, assets, { id: coverId }, instructor)).url).toContain(coverId);
    } finally {
      await call(catalog.publishCatalogItem, catalog, { id: itemId }, instructor);
    }
  });
});

describe('deleting and sweeping', () => {
  it('when an asset is deleted, then it is DELETED at once, its URL stops working at the origin and its URL is purged', async () => {
    const bytes = Buffer.from('lesson two handout');
    const created = await createAsset(assets, instructor, { catalogItemId: itemId, lessonId }, bytes, {
      kind: AssetKind.ASSET_KIND_DOCUMENT,
      contentType: 'text/plain',
    });
    await upload(created, bytes);
    const id = created.asset?.id ?? '';
    await call(assets.completeAssetUpload, assets, { id }, instructor);
    const url = (await call(assets.getAssetUrl, assets, { id }, learner)).url;
    expect((await fetch(url)).status).toBe(200);

    await call(assets.deleteAsset, assets, { id, etag: '' }, instructor);
    expect((await call(assets.getAsset, assets, { id }, instructor)).state).toBe(AssetState.ASSET_STATE_DELETED);
    expect((await failure(call(assets.getAssetUrl, assets, { id }, learner))).code).toBe(status.NOT_FOUND);
    expect((await fetch(url)).status).toBe(404);
    expect(purged).toEqual([url.split('?')[0]]);
    const actions = await queryRows<{ action: string }>(
      server.config.databaseUrl ?? '',
      'select action from audit_log where entity_id = $1 order by create_time, id',
      [id],
    );
    expect(actions.map((a) => a.action)).toEqual(['asset.created', 'asset.completed', 'asset.deleted']);
  });

  it('when a PENDING asset is older than the configured age, then the sweep removes its object and row', async () => {
    const bytes = randomBytes(32);
    const created = await createAsset(assets, instructor, { catalogItemId: itemId }, bytes);
    await upload(created, bytes);
    const id = created.asset?.id ?? '';
    await queryRows(server.config.databaseUrl ?? '', "update assets set create_time = now() - interval '2 days' where id = $1", [id]);
    await server.app.assets.job.runOnce();
    expect(await queryRows(server.config.databaseUrl ?? '', 'select id from assets where id = $1', [id])).toEqual([]);
    const [row] = await queryRows<{ object_key: string }>(server.config.databaseUrl ?? '', 'select object_key from assets where id = $1', [
      slidesId,
    ]);
    expect(await server.app.assets.storage.head(row?.object_key ?? '')).toBeDefined();
    expect(await server.app.assets.storage.head(new URL(created.upload?.url ?? '').pathname.split('/').slice(2).join('/'))).toBeUndefined();
  });

  it('when the gauges are refreshed, then metrics show assets by state, their bytes and the URLs issued by kind', async () => {
    await server.app.assets.job.runOnce();
    const text = await (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
    const value = (line: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(line))
          ?.slice(line.length + 1),
      );
    expect(value('campus_assets{state="ready"}')).toBe(2);
    expect(value('campus_asset_bytes{state="ready"}')).toBe(coverBytes.length + slidesBytes.length);
    expect(value('campus_asset_urls_issued_total{kind="signed"}')).toBeGreaterThanOrEqual(4);
    expect(value('campus_asset_urls_issued_total{kind="public"}')).toBeGreaterThanOrEqual(2);
    expect(value('campus_asset_urls_issued_total{kind="upload"}')).toBeGreaterThanOrEqual(8);
  });
});

describe('the embedded edge', () => {
  it('when a path is no asset key or is malformed, then it answers 404 and keeps serving', async () => {
    const cover = (await call(assets.getAssetUrl, assets, { id: coverId }, anonymous())).url;
    const base = new URL(cover).origin;
    for (const path of ['/', '/etc/passwd', '/public/%E0%A4%A', '/private/../public/x']) {
      expect({ path, status: (await fetch(`${base}${path}`)).status }).toEqual({ path, status: 404 });
    }
    expect((await fetch(cover)).status).toBe(200);
  });
});
