import { runInRequestScope } from '../db/request-scope.js';
import type { Logger } from '../logger.js';
import type { AssetService } from './asset.service.js';
import type { AssetMetrics } from './asset-metrics.js';

/** PENDING assets swept per run; the next run takes the rest. */
const SWEEP_BATCH = 100;

/**
 * The periodic asset job: sweeps PENDING assets older than
 * `pendingMaxAgeMs` (object and row) and refreshes the asset gauges, once at
 * start and then every `intervalMs` (0: only at start). Runs never overlap;
 * a failed run is logged and the next one tries again.
 */
export class AssetJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly assets: AssetService,
    private readonly metrics: AssetMetrics,
    private readonly settings: { readonly intervalMs: number; readonly pendingMaxAgeMs: number },
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped && this.settings.intervalMs > 0) this.timer = setTimeout(tick, this.settings.intervalMs).unref();
      });
    };
    tick();
  }

  /** One sweep and gauge refresh. */
  async runOnce(): Promise<void> {
    try {
      await runInRequestScope(undefined, async () => {
        const swept = await this.assets.sweepPending(new Date(Date.now() - this.settings.pendingMaxAgeMs), SWEEP_BATCH);
        if (swept > 0) this.log.info({ swept }, 'stale pending assets swept');
        this.metrics.setTotals(await this.assets.totals());
      });
    } catch (err) {
      this.log.warn({ err }, 'asset job failed; it runs again at the next interval');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
