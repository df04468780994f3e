import { type FieldViolation, invalidArgument } from '../errors/domain-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is
// the mail system's job; this only rejects what can never be an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

/**
 * Collects every bad field of a request before failing, so the caller learns
 * all of them from one INVALID_ARGUMENT.
 */
export class FieldChecks {
  private readonly violations: FieldViolation[] = [];

  add(field: string, reason: string, description: string): this {
    this.violations.push({ field, reason, description });
    return this;
  }

  /** Adds a violation when `ok` is false. */
  check(ok: boolean, field: string, reason: string, description: string): this {
    return ok ? this : this.add(field, reason, description);
  }

  required(value: unknown, field: string): boolean {
    const present = value !== undefined && value !== null && value !== '';
    this.check(present, field, 'FIELD_REQUIRED', `${field} is required`);
    return present;
  }

  uuid(value: string, field: string): this {
    if (!this.required(value, field)) return this;
    return this.check(UUID.test(value), field, 'INVALID_UUID', `${field} must be a UUID`);
  }

  text(value: string, field: string, opts: { min?: number; max: number }): this {
    const min = opts.min ?? 1;
    const length = [...value.trim()].length;
    if (min > 0 && length === 0) return this.add(field, 'FIELD_REQUIRED', `${field} is required`);
    if (length < min) return this.add(field, 'TOO_SHORT', `${field} must have at least ${min} characters`);
    return this.check(length <= opts.max, field, 'TOO_LONG', `${field} must have at most ${opts.max} characters`);
  }

  email(value: string, field: string): this {
    if (!this.required(value, field)) return this;
    const ok = value.length <= 320 && EMAIL.test(value);
    return this.check(ok, field, 'INVALID_EMAIL', `${field} must be an email address`);
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  /** Throws INVALID_ARGUMENT naming every collected field, if any. */
  throwIfAny(): void {
    if (this.violations.length > 0) throw invalidArgument(this.violations);
  }
}
