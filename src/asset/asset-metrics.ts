import { Counter, Gauge, type Registry } from 'prom-client';
import { ASSET_STATES, type AssetStateName } from './asset.entity.js';

export type IssuedUrlKind = 'upload' | 'public' | 'signed';

/**
 * `campus_assets{state}` and `campus_asset_bytes{state}` (read from
 * PostgreSQL by the periodic asset job, never per scrape) and
 * `campus_asset_urls_issued_total{kind}` (presigned uploads, public and
 * signed delivery URLs).
 */
export class AssetMetrics {
  private readonly assets: Gauge<'state'>;
  private readonly bytes: Gauge<'state'>;
  private readonly issued: Counter<'kind'>;

  constructor(registry: Registry) {
    this.assets = new Gauge({ name: 'campus_assets', help: 'Assets by state', labelNames: ['state'], registers: [registry] });
    this.bytes = new Gauge({
      name: 'campus_asset_bytes',
      help: 'Declared bytes of the assets in each state',
      labelNames: ['state'],
      registers: [registry],
    });
    this.issued = new Counter({
      name: 'campus_asset_urls_issued_total',
      help: 'Asset URLs issued: presigned uploads, public and signed delivery URLs',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of ['upload', 'public', 'signed'] as const) this.issued.inc({ kind }, 0);
  }

  urlsIssued(kind: IssuedUrlKind, n = 1): void {
    if (n > 0) this.issued.inc({ kind }, n);
  }

  setTotals(rows: readonly { status: AssetStateName; count: number; bytes: number }[]): void {
    for (const state of ASSET_STATES) {
      const row = rows.find((r) => r.status === state);
      this.assets.set({ state }, row?.count ?? 0);
      this.bytes.set({ state }, row?.bytes ?? 0);
    }
  }
}
