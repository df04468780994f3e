import type { FieldChecks } from './field-checks.js';

/** Largest free-form object (Struct) a document may carry, as JSON. */
export const FREE_FORM_MAX_BYTES = 16 * 1024;

/**
 * A client's free-form object (a protobuf Struct) stored as part of a
 * MongoDB document: bounded in size, and with no key MongoDB would read as
 * an operator (`$...`) or a path (`a.b`).
 */
export function checkFreeForm(checks: FieldChecks, value: Record<string, unknown>, field: string): FieldChecks {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  checks.check(bytes <= FREE_FORM_MAX_BYTES, field, 'TOO_LARGE', `${field} must be at most ${FREE_FORM_MAX_BYTES} bytes as JSON`);
  const bad = badKey(value);
  return checks.check(bad === undefined, field, 'INVALID_KEY', `${field} has a key starting with $ or containing a dot: ${bad}`);
}

function badKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const bad = badKey(item);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.')) return JSON.stringify(key);
    const bad = badKey(inner);
    if (bad !== undefined) return bad;
  }
  return undefined;
}
