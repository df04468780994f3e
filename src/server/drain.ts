import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type StatusObject,
  status,
} from '@grpc/grpc-js';

/** What a call that arrives during the drain is told. */
export const SHUTTING_DOWN = 'shutting down: retry on another instance';

/** The paths that keep answering during the drain: probes must see NOT_SERVING, not a refusal. */
const HEALTH = '/grpc.health.v1.Health/';

/**
 * The calls in flight, and whether new ones are still taken. Once `begin` is
 * called every new call but health is refused with UNAVAILABLE, while the
 * server keeps accepting connections: a probe reaches the health service and
 * reads NOT_SERVING, and the calls already running finish.
 */
export class Drain {
  private draining = false;
  private inFlight = 0;
  private onIdle: (() => void) | undefined;

  get active(): boolean {
    return this.draining;
  }

  /** Counts a new call in, or refuses it (false) once the drain began. */
  admit(): boolean {
    if (this.draining) return false;
    this.inFlight++;
    return true;
  }

  /** A call `admit` let in has ended (answered or cancelled). */
  done(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.onIdle?.();
  }

  /** From now on new calls are refused; resolves true once none is in flight, false when `ms` ran out first. */
  begin(ms: number): Promise<boolean> {
    this.draining = true;
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onIdle = undefined;
        resolve(false);
      }, ms);
      this.onIdle = () => {
        clearTimeout(timer);
        this.onIdle = undefined;
        resolve(true);
      };
    });
  }
}

/** The status a refused call ends with. */
export function refusal(): StatusObject {
  return { code: status.UNAVAILABLE, details: SHUTTING_DOWN, metadata: new Metadata() };
}

/**
 * The drain for the calls the unary adapter does not run (reflection, any
 * stream): counted while they run, refused once the drain began. Health
 * always passes; so do the calls for which `drainedElsewhere(path)` holds,
 * untouched (the unary adapter counts and refuses those itself, without a
 * wrapping layer per call).
 */
export function drainCalls(drain: Drain, drainedElsewhere: (path: string) => boolean): ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith(HEALTH) || drainedElsewhere(method.path))
      return call as ServerInterceptingCallInterface as ServerInterceptingCall;
    const admitted = drain.admit();
    let ended = false;
    const end = () => {
      if (ended || !admitted) return;
      ended = true;
      drain.done();
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (admitted) nextMetadata(metadata);
            else call.sendStatus(refusal());
          },
          onCancel: end,
        }),
      sendStatus: (st, next) => {
        end();
        next(st);
      },
    });
  };
}
