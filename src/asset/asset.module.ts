import { readFile } from 'node:fs/promises';
import { type AssetServiceServer, AssetServiceService } from '../../generated/campus/asset/v1/asset.js';
import type { CatalogItemCache } from '../catalog/catalog.js';
import type { DomainModule, ModuleContext } from '../domain-module.js';
import { AssetSchema } from './asset.entity.js';
import { assetHandlers } from './asset.handler.js';
import { assetRules } from './asset.rules.js';
import { AssetService } from './asset.service.js';
import { AssetJob } from './asset-job.js';
import { AssetMetrics } from './asset-metrics.js';
import type { AssetSettings } from './asset-settings.js';
import { AssetUrls } from './asset-urls.js';
import { cloudFrontSigner } from './cloudfront-url-signer.js';
import { startEmbeddedEdge } from './embedded-edge.js';
import { Migration20261202000004 } from './migrations/Migration20261202000004.js';
import { type ObjectStorage, s3Storage } from './object-storage.js';
import { httpPurgeHook, logPurgeHook, type PurgeHook } from './purge-hook.js';
import { secureLinkSigner } from './secure-link-signer.js';
import type { UrlSigner } from './url-signer.js';

/** What the asset module takes from the composition root. */
export interface AssetModuleDeps extends ModuleContext {
  readonly settings: AssetSettings;
  /** Where the embedded storage keeps its objects (`<dataDir>/assets`). */
  readonly dataDir: string;
  /** Items as read for visibility (cached or not). */
  readonly items: CatalogItemCache;
  /** Replaces the purge hook ASSET_PURGE_URL chooses (tests). */
  readonly purge?: PurgeHook;
}

/** A started asset module. */
export interface AssetModuleInstance {
  readonly handlers: AssetServiceServer;
  readonly service: AssetService;
  readonly storage: ObjectStorage;
  /** Where delivery URLs point (the embedded edge's base when none is configured). */
  readonly cdnBaseUrl: string;
  readonly job: AssetJob;
  stop(): Promise<void>;
}

/** Embedded servers listen on loopback only: a development default. */
const EMBEDDED_HOST = '127.0.0.1';

/** What the asset domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const ASSET_AUDIT_ACTIONS = {
  'asset.created': 'CreateAsset (the asset is PENDING until its upload is verified)',
  'asset.completed': 'CompleteAssetUpload that verified the object',
  'asset.deleted': 'DeleteAsset',
  'asset.swept': 'the sweep of PENDING assets older than ASSET_PENDING_MAX_AGE_MS',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof ASSET_AUDIT_ACTIONS, string> {}
}

/**
 * Course assets: facts in PostgreSQL, bytes in S3-compatible storage,
 * delivery from a CDN with signed URLs. Everything the domain owns is here;
 * the composition root lists the module, the rule table takes its rules, the
 * ORM its entities.
 */
export const assetModule = {
  definitions: [AssetServiceService],
  entities: [AssetSchema],
  migrations: [{ name: 'Migration20261202000004', class: Migration20261202000004 }],
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    assets: { class: 'reference', why: 'belongs to a catalog item or lesson; object keys unique across all items' },
  },
  rules: assetRules,
  auditActions: ASSET_AUDIT_ACTIONS,
  start: startAssetModule,
} as const satisfies DomainModule;

async function startAssetModule(deps: AssetModuleDeps): Promise<AssetModuleInstance> {
  const { settings, log } = deps;
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const signer = await signerOf(settings);
    let s3 = settings.storage;
    if (!s3) {
      // Loaded only when it runs: s3rver and its dependencies are tens of MiB a deployment on real S3 never needs.
      const { startEmbeddedStorage } = await import('./embedded-storage.js');
      const embedded = await startEmbeddedStorage(deps.dataDir, EMBEDDED_HOST, settings.embeddedStoragePort);
      stops.push(() => embedded.stop());
      s3 = embedded.settings;
      log.info({ endpoint: s3.endpoint, bucket: s3.bucket }, 'embedded S3-compatible asset storage');
    }
    const storage = s3Storage(s3);
    stops.push(() => storage.close());
    let cdnBaseUrl = settings.cdnBaseUrl;
    if (cdnBaseUrl === undefined) {
      const verify = signer.verify;
      if (!verify)
        throw new Error('ASSET_CDN_BASE_URL is required with ASSET_URL_SIGNER=cloudfront (the embedded edge checks secure_link URLs)');
      const edge = await startEmbeddedEdge({
        host: EMBEDDED_HOST,
        port: settings.embeddedEdgePort,
        storage,
        verify: (url) => verify(url),
        log,
      });
      stops.push(() => edge.stop());
      cdnBaseUrl = edge.baseUrl;
      log.info({ cdnBaseUrl }, 'embedded asset edge');
    }
    const base = cdnBaseUrl.endsWith('/') ? cdnBaseUrl : `${cdnBaseUrl}/`;
    const metrics = new AssetMetrics(deps.registry);
    const service = new AssetService(deps.em, {
      storage,
      urls: new AssetUrls(base, signer, settings.urlTtlS, metrics),
      items: deps.items,
      tokens: deps.tokens,
      purge: deps.purge ?? (settings.purgeUrl ? httpPurgeHook(settings.purgeUrl, log) : logPurgeHook(log)),
      metrics,
      log,
      uploadTtlS: settings.uploadTtlS,
      maxBytes: settings.maxBytes,
    });
    const job = new AssetJob(service, metrics, { intervalMs: settings.sweepIntervalMs, pendingMaxAgeMs: settings.pendingMaxAgeMs }, log);
    job.start();
    stops.push(() => job.stop());
    return { handlers: assetHandlers(deps.unary, service), service, storage, cdnBaseUrl: base, job, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function signerOf(settings: AssetSettings): Promise<UrlSigner & { verify?: (url: URL) => boolean }> {
  if (settings.signer.kind === 'secure_link') return secureLinkSigner(settings.signer.keys);
  const privateKey = await readFile(settings.signer.privateKeyFile, 'utf8');
  return cloudFrontSigner({ keyPairId: settings.signer.keyPairId, privateKey });
}
