/**
 * What the domains announce after a commit, by event type. Each domain adds
 * the events it announces (declaration merging, next to the code that
 * announces them), so a listener is typed by the announcer's declaration:
 *
 *     declare module '../events/domain-events.js' {
 *       interface DomainEventMap {
 *         'catalog.lessons_changed': { readonly catalogItemId: string };
 *       }
 *     }
 */
// biome-ignore lint/suspicious/noEmptyInterface: the domains add their events to it.
export interface DomainEventMap {}

type Listener<E> = (event: E) => Promise<void> | void;

/**
 * In-process announcements of what a domain committed, for another domain
 * to act on (drop what its caches derived from it) without either calling
 * into the other: the announcer emits after its commit; the listener
 * declares, where its cache is defined, what it listens to.
 */
export class DomainEvents {
  private readonly listeners = new Map<keyof DomainEventMap, Listener<never>[]>();

  on<K extends keyof DomainEventMap>(type: K, listener: Listener<DomainEventMap[K]>): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(type, list);
  }

  /** Runs every listener of `type` and waits for them; listeners do their own error handling (a cache invalidation never throws). */
  async emit<K extends keyof DomainEventMap>(type: K, event: DomainEventMap[K]): Promise<void> {
    const list = this.listeners.get(type) as Listener<DomainEventMap[K]>[] | undefined;
    if (list === undefined) return;
    await Promise.all(list.map((listener) => listener(event)));
  }
}
