import type { Principal } from '../auth/principal.js';
import { resourceExhausted } from '../errors/domain-error.js';

/**
 * Bounds the calls one caller has in flight, so that no single caller can
 * take every connection to the stores. A caller is its principal (user or
 * service), or its address when anonymous. Bookkeeping is one Map entry per
 * caller with calls in flight.
 */
export class CallerLimits {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly maxPerCaller: number) {}

  /** Admits one call or throws RESOURCE_EXHAUSTED; call the returned function when it ends. */
  admit(principal: Principal, peer: string): () => void {
    const release = this.tryAdmit(principal, peer);
    if (!release) throw resourceExhausted('TOO_MANY_CONCURRENT_CALLS', `at most ${this.maxPerCaller} calls in flight per caller`, 100);
    return release;
  }

  /** Admits one call, or returns undefined when its caller has as many in flight as allowed. */
  tryAdmit(principal: Principal, peer: string): (() => void) | undefined {
    const key = principal.kind === 'anonymous' ? `peer:${hostOf(peer)}` : `${principal.kind}:${principal.id}`;
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.maxPerCaller) return undefined;
    this.inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }

  /** Callers with calls in flight right now. */
  get callers(): number {
    return this.inFlight.size;
  }
}

/** `127.0.0.1:5000` -> `127.0.0.1`, `[::1]:5000` -> `[::1]`, `ipv4:1.2.3.4:5` -> `1.2.3.4`. */
export function hostOf(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const colon = bare.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(bare.slice(colon + 1)) ? bare.slice(0, colon) : bare;
}
