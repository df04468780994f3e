import { collectDefaultMetrics, Registry } from 'prom-client';

/** A registry per service instance (tests run several in one process). */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
