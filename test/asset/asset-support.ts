import { createHash, randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { type Asset, AssetKind, type AssetServiceClient, type CreateAssetResponse } from '../../generated/campus/asset/v1/asset.js';
import { call } from '../support/grpc.js';

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** CreateAsset declaring exactly `bytes` (unless `declared` says otherwise). */
export function createAsset(
  client: AssetServiceClient,
  metadata: Metadata,
  target: { catalogItemId: string; lessonId?: string },
  bytes: Buffer,
  declared: Partial<Asset> = {},
): Promise<CreateAssetResponse> {
  return call(
    client.createAsset,
    client,
    {
      asset: {
        id: '',
        catalogItemId: target.catalogItemId,
        lessonId: target.lessonId ?? '',
        kind: AssetKind.ASSET_KIND_IMAGE,
        contentType: 'image/png',
        sizeBytes: BigInt(bytes.length),
        sha256: sha256Hex(bytes),
        state: 0,
        etag: '',
        ...declared,
      },
      requestId: randomUUID(),
    },
    metadata,
  );
}

/** What a client does with the presigned upload: PUT the bytes with the listed headers. */
export async function upload(created: CreateAssetResponse, bytes: Buffer): Promise<Response> {
  const target = created.upload;
  if (!target) throw new Error('no upload in the response');
  return fetch(target.url, { method: target.method, headers: target.headers, body: bytes });
}
