import { Counter, type Registry } from 'prom-client';

/** What authentication counts. Labels name events only, never who. */
const AUTH_METRIC_EVENTS = ['login_succeeded', 'login_failed', 'login_throttled', 'login_limits_local'] as const;
export type AuthMetricEvent = (typeof AUTH_METRIC_EVENTS)[number];

/** `campus_auth_events_total{event}`, every event exported (at 0) from the start so its rate is 0, not absent. */
export function authEvents(registry: Registry): (event: AuthMetricEvent) => void {
  const counter = new Counter({
    name: 'campus_auth_events_total',
    help: 'Authentication events: logins by outcome, and login limits counted in-process because the shared cache was unreachable.',
    labelNames: ['event'],
    registers: [registry],
  });
  for (const event of AUTH_METRIC_EVENTS) counter.inc({ event }, 0);
  return (event) => counter.inc({ event });
}
