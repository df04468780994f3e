import { Counter, type Registry } from 'prom-client';

/** What authentication counts. Labels name events only, never who. */
export type AuthMetricEvent = 'login_succeeded' | 'login_failed' | 'login_throttled' | 'login_limits_local';

/** `campus_auth_events_total{event}`. */
export function authEvents(registry: Registry): (event: AuthMetricEvent) => void {
  const counter = new Counter({
    name: 'campus_auth_events_total',
    help: 'Authentication events: logins by outcome, and login limits counted in-process because the shared cache was unreachable.',
    labelNames: ['event'],
    registers: [registry],
  });
  return (event) => counter.inc({ event });
}
