import type { FieldChecks } from './field-checks.js';

/** An amount of money: integer minor units of an ISO-4217 currency. Never a float. */
export interface Money {
  readonly currencyCode: string;
  readonly amountMinor: bigint;
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

/**
 * Checks a Money field of a request: present, an ISO-4217 alphabetic code
 * (three uppercase letters, as the database constraint also demands) and an
 * amount of zero or more. Violations name `<field>.currency_code` and
 * `<field>.amount_minor`.
 */
export function checkMoney(checks: FieldChecks, money: Money | undefined, field: string): void {
  if (!checks.required(money, field) || money === undefined) return;
  const code = `${field}.currency_code`;
  if (checks.required(money.currencyCode, code)) {
    checks.check(
      CURRENCY_CODE.test(money.currencyCode),
      code,
      'INVALID_CURRENCY_CODE',
      `${code} must be three uppercase letters (ISO 4217)`,
    );
  }
  const amount = `${field}.amount_minor`;
  checks.check(money.amountMinor >= 0n, amount, 'NEGATIVE_AMOUNT', `${amount} must not be negative`);
}
