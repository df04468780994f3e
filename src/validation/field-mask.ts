import type { FieldChecks } from './field-checks.js';

/**
 * The fields an Update may change (AIP-134). An empty mask means every
 * updatable field the request carries; an unknown path is INVALID_ARGUMENT.
 */
export function maskedFields<const F extends string>(
  paths: readonly string[] | undefined,
  updatable: readonly F[],
  checks: FieldChecks,
  field = 'update_mask',
): Set<F> {
  if (!paths || paths.length === 0 || (paths.length === 1 && paths[0] === '*')) return new Set(updatable);
  const chosen = new Set<F>();
  for (const path of paths) {
    const known = (updatable as readonly string[]).includes(path);
    checks.check(
      known,
      field,
      'UNKNOWN_FIELD_PATH',
      `${field} names ${JSON.stringify(path)}, which is not an updatable field (${updatable.join(', ')})`,
    );
    if (known) chosen.add(path as F);
  }
  return chosen;
}
