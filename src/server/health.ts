import type { Server, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from '../logger.js';

/** A store the service cannot serve without. */
export interface Dependency {
  readonly name: string;
  /** Resolves true when the store answers right now. */
  check(): Promise<boolean>;
}

/**
 * grpc.health.v1 for the whole server ("") and for each service. SERVING only
 * while every dependency answers; NOT_SERVING for good once shutdown begins.
 * Redis is not a dependency: losing it costs speed, not service.
 */
export class Health {
  private readonly impl: HealthImplementation;
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private current: ServingStatus = 'NOT_SERVING';
  private readonly watchCalls = new Set<ServerWritableStream<unknown, unknown>>();
  private readonly parts = new Set<string>();

  constructor(
    private readonly services: readonly string[],
    private readonly dependencies: readonly Dependency[],
    private readonly log: Logger,
  ) {
    this.impl = new HealthImplementation(Object.fromEntries(['', ...services].map((s) => [s, 'NOT_SERVING' as const])));
  }

  /** Registers the library's Check and Watch, keeping hold of open Watch streams. */
  addToServer(server: Server): void {
    const track: Pick<Server, 'addService'> = {
      addService: (definition, handlers: UntypedServiceImplementation) => {
        const watch = handlers.watch as (call: ServerWritableStream<unknown, unknown>) => void;
        server.addService(definition, {
          ...handlers,
          watch: (call: ServerWritableStream<unknown, unknown>) => {
            // Opened during the drain: it gets NOT_SERVING and is ended, so it does not hold the shutdown either.
            if (this.shuttingDown) {
              watch(call);
              return void call.end();
            }
            this.watchCalls.add(call);
            call.on('cancelled', () => this.watchCalls.delete(call));
            watch(call);
          },
        });
      },
    };
    this.impl.addToServer(track as Server);
  }

  get status(): ServingStatus {
    return this.current;
  }

  /** Checks dependencies now and then every `intervalMs`. */
  async start(intervalMs = 5_000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  /**
   * Marks everything NOT_SERVING; nothing turns it back. Watch streams get the
   * NOT_SERVING update and are then ended: an open Watch would otherwise hold
   * graceful shutdown until the grace period runs out.
   */
  enterShutdown(): void {
    this.shuttingDown = true;
    if (this.timer) clearInterval(this.timer);
    this.set('NOT_SERVING');
    for (const part of this.parts) this.impl.setStatus(part, 'NOT_SERVING');
    for (const call of this.watchCalls) call.end();
    this.watchCalls.clear();
  }

  async refresh(): Promise<void> {
    const results = await Promise.all(this.dependencies.map((d) => d.check().catch(() => false)));
    if (this.shuttingDown) return;
    const down = this.dependencies.filter((_, i) => !results[i]).map((d) => d.name);
    if (down.length > 0 && this.current === 'SERVING') this.log.warn({ down }, 'dependencies not answering: NOT_SERVING');
    if (down.length === 0 && this.current !== 'SERVING') this.log.info('all dependencies answer: SERVING');
    this.set(down.length === 0 ? 'SERVING' : 'NOT_SERVING');
  }

  /**
   * The status of a part that the service degrades without (e.g.
   * `campus.replicas`), reported under its own name; the server's and the
   * services' statuses do not change with it. NOT_SERVING once shutdown began.
   */
  setPart(name: string, status: ServingStatus): void {
    this.parts.add(name);
    this.impl.setStatus(name, this.shuttingDown ? 'NOT_SERVING' : status);
  }

  private set(status: ServingStatus): void {
    this.current = status;
    for (const service of ['', ...this.services]) this.impl.setStatus(service, status);
  }
}
