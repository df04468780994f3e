import type { FieldChecks } from '../validation/field-checks.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** AIP-158: 0 means the default, more than the maximum means the maximum, negative is an error. */
export function pageSize(requested: number, checks: FieldChecks, field = 'page_size'): number {
  checks.check(Number.isInteger(requested) && requested >= 0, field, 'INVALID_PAGE_SIZE', `${field} must not be negative`);
  if (requested <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}
