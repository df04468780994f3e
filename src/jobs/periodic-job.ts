import type { Logger } from '../logger.js';

/**
 * Runs `run` at start and then `intervalMs` after each run ends (never two
 * at once); a failed run is logged and the next one comes on time. An
 * interval of 0 means no periodic runs.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.intervalMs === 0) return;
    const tick = () => {
      this.running = this.run()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err, job: this.name }, `${this.name} failed`))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    tick();
  }

  /** No further runs; waits for the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
