const DAY_MS = 86_400_000;

/** Midnight UTC starting the day of `t`. */
export function utcDay(t: Date): Date {
  return new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);
}

export function addDays(t: Date, days: number): Date {
  return new Date(t.getTime() + days * DAY_MS);
}

/**
 * The first instant whose whole UTC day is still within event retention.
 * Events before it are refused, and rollups of days before it are never
 * recomputed: raw events of those days may have expired in part, and a
 * recompute would overwrite a complete rollup with smaller figures.
 */
export function oldestRecordableTime(now: Date, ttlDays: number): Date {
  return addDays(utcDay(now), -ttlDays + 1);
}
