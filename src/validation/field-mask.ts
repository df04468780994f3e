import type { FieldChecks } from './field-checks.js';

/**
 * The fields an Update changes, by AIP-134, for every Update RPC:
 * - no `update_mask` (or no paths): the fields the request populates, and no other;
 * - `*` alone: every updatable field (full replacement: an unset one is cleared);
 * - otherwise the fields named, each as its proto name (`instructor_id`) or as
 *   the lowerCamelCase name a JSON client writes (`instructorId`).
 *
 * `populated` maps each updatable field, by proto name, to whether the request
 * carries a value for it. A path naming no updatable field, or `*` next to
 * other paths, is INVALID_ARGUMENT; the hint names fields as JSON spells them,
 * which every client can send.
 */
export function fieldsToUpdate<const F extends string>(
  paths: readonly string[] | undefined,
  populated: Readonly<Record<F, boolean>>,
  checks: FieldChecks,
  field = 'update_mask',
): Set<F> {
  const updatable = Object.keys(populated) as F[];
  if (!paths || paths.length === 0) return new Set(updatable.filter((f) => populated[f]));
  if (paths.includes('*')) {
    checks.check(paths.length === 1, field, 'INVALID_FIELD_PATH', `${field} may hold "*" only on its own`);
    return new Set(updatable);
  }
  const chosen = new Set<F>();
  for (const path of paths) {
    const name = protoName(path) as F;
    const known = updatable.includes(name);
    checks.check(
      known,
      field,
      'UNKNOWN_FIELD_PATH',
      `${field} names ${JSON.stringify(path)}, which is not an updatable field; use ${updatable.map(jsonName).join(', ')} or "*"`,
    );
    if (known) chosen.add(name);
  }
  return chosen;
}

/**
 * Whether an Update would change `name` (a proto field name), by the rules of
 * `fieldsToUpdate`; for authorization, which looks before validation, so a
 * malformed mask counts as naming the field.
 */
export function updatesField(paths: readonly string[] | undefined, name: string, populated: boolean): boolean {
  if (!paths || paths.length === 0) return populated;
  return paths.some((path) => path === '*' || protoName(path) === name);
}

/** `instructorId` and `instructor_id` -> `instructor_id`. */
function protoName(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `instructor_id` -> `instructorId`, as proto3 JSON names it. */
function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
