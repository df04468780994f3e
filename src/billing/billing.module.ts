import { PaymentServiceService } from '../../generated/campus/billing/v1/payment.js';
import type { DomainModule } from '../domain-module.js';
import { billingRules } from './billing.rules.js';
import { PaymentSchema } from './payment.entity.js';
import { PaymentAttemptSchema } from './payment-attempt.entity.js';

/** What the billing domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const BILLING_AUDIT_ACTIONS = {
  'payment.succeeded': 'Enroll in a priced item',
  'payment.refunded': 'RefundPayment, and CancelEnrollment of a paid enrollment',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof BILLING_AUDIT_ACTIONS, string> {}
}

/** Payments for enrollments, their attempts at the provider, refunds. */
export const billingModule = {
  definitions: [PaymentServiceService],
  entities: [PaymentSchema, PaymentAttemptSchema],
  rules: billingRules,
  auditActions: BILLING_AUDIT_ACTIONS,
} as const satisfies DomainModule;
