import type { Asset } from './asset.entity.js';
import type { AssetMetrics } from './asset-metrics.js';
import { visibilityOfKey } from './object-key.js';
import type { UrlSigner } from './url-signer.js';

/** A delivery URL as AssetService returns it. */
export interface DeliveryUrl {
  readonly assetId: string;
  readonly url: string;
  readonly public: boolean;
  /** Unset for a public URL. */
  readonly expireTime: Date | undefined;
}

/**
 * Delivery URLs on the CDN base: the stable unsigned URL of a key under
 * `public/`, a signed one valid `ttlS` seconds for a key under `private/`.
 */
export class AssetUrls {
  constructor(
    private readonly baseUrl: string,
    private readonly signer: UrlSigner,
    private readonly ttlS: number,
    private readonly metrics: AssetMetrics,
  ) {}

  /** The URL of the object, unsigned: what a purge names. */
  plain(asset: Pick<Asset, 'objectKey'>): string {
    return new URL(asset.objectKey, this.baseUrl).toString();
  }

  deliver(asset: Pick<Asset, 'id' | 'objectKey'>, now = new Date()): DeliveryUrl {
    const url = this.plain(asset);
    if (visibilityOfKey(asset.objectKey) === 'public') {
      this.metrics.urlsIssued('public');
      return { assetId: asset.id, url, public: true, expireTime: undefined };
    }
    const expireTime = new Date(Math.floor(now.getTime() / 1000) * 1000 + this.ttlS * 1000);
    this.metrics.urlsIssued('signed');
    return { assetId: asset.id, url: this.signer.sign(url, expireTime), public: false, expireTime };
  }
}
