import {
  AssetKind,
  type Asset as AssetMessage,
  type AssetServiceServer,
  AssetState,
  type AssetUrl,
} from '../../generated/campus/asset/v1/asset.js';
import { etagOf } from '../errors/etag.js';
import type { Unary } from '../server/unary.js';
import type { Asset, AssetKindName, AssetStateName } from './asset.entity.js';
import type { AssetService } from './asset.service.js';
import type { DeliveryUrl } from './asset-urls.js';

/** campus.asset.v1.AssetService: proto in, use case, proto out. */
export function assetHandlers(unary: Unary, assets: AssetService): AssetServiceServer {
  return {
    createAsset: unary(async (req, ctx) => {
      const { asset, upload } = await assets.create(
        {
          catalogItemId: req.asset?.catalogItemId ?? '',
          lessonId: req.asset?.lessonId ?? '',
          kind: KIND_NAMES.get(req.asset?.kind ?? AssetKind.ASSET_KIND_UNSPECIFIED),
          contentType: req.asset?.contentType ?? '',
          sizeBytes: req.asset?.sizeBytes ?? 0n,
          sha256: req.asset?.sha256 ?? '',
          requestId: req.requestId,
        },
        ctx.principal,
      );
      return {
        asset: toAssetMessage(asset),
        upload: { url: upload.url, method: 'PUT', headers: { ...upload.headers }, expireTime: upload.expireTime },
      };
    }),
    completeAssetUpload: unary(async (req, ctx) => toAssetMessage(await assets.complete(req.id, ctx.principal))),
    getAsset: unary(async (req, ctx) => toAssetMessage(await assets.get(req.id, ctx.principal))),
    listAssets: unary(async (req, ctx) => {
      const page = await assets.list(
        { catalogItemId: req.catalogItemId, lessonId: req.lessonId, pageSize: req.pageSize, pageToken: req.pageToken },
        ctx.principal,
      );
      return { assets: page.items.map(toAssetMessage), nextPageToken: page.nextPageToken };
    }),
    getAssetUrl: unary(async (req, ctx) => toAssetUrl(await assets.url(req.id, ctx.principal))),
    batchGetAssetUrls: unary(async (req, ctx) => ({ urls: (await assets.lessonUrls(req.lessonId, ctx.principal)).map(toAssetUrl) })),
    deleteAsset: unary(async (req, ctx) => {
      await assets.delete(req.id, req.etag, ctx.principal);
      return {};
    }),
  };
}

const KIND_NAMES = new Map<AssetKind, AssetKindName>([
  [AssetKind.ASSET_KIND_IMAGE, 'image'],
  [AssetKind.ASSET_KIND_VIDEO, 'video'],
  [AssetKind.ASSET_KIND_DOCUMENT, 'document'],
  [AssetKind.ASSET_KIND_OTHER, 'other'],
]);
const KINDS = new Map([...KIND_NAMES].map(([kind, name]) => [name, kind]));
const STATES: Readonly<Record<AssetStateName, AssetState>> = {
  pending: AssetState.ASSET_STATE_PENDING,
  ready: AssetState.ASSET_STATE_READY,
  deleted: AssetState.ASSET_STATE_DELETED,
};

export function toAssetMessage(asset: Asset): AssetMessage {
  return {
    id: asset.id,
    catalogItemId: asset.catalogItem.id,
    lessonId: asset.lesson?.id ?? '',
    kind: KINDS.get(asset.kind) ?? AssetKind.ASSET_KIND_UNSPECIFIED,
    contentType: asset.contentType,
    sizeBytes: asset.sizeBytes,
    sha256: asset.sha256,
    state: STATES[asset.status],
    createTime: asset.createTime,
    updateTime: asset.updateTime,
    etag: etagOf(asset.version),
  };
}

function toAssetUrl(url: DeliveryUrl): AssetUrl {
  return { assetId: url.assetId, url: url.url, public: url.public, expireTime: url.expireTime };
}
