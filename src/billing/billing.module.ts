import { PaymentServiceService } from '../../generated/campus/billing/v1/payment.js';
import { DISTRIBUTION_COLUMN } from '../db/shard-classes.js';
import type { DomainModule, ModuleContext, ServedServices } from '../domain-module.js';
import { Billing, type PaidEnrollments } from './billing.js';
import { billingRules } from './billing.rules.js';
import { PaymentSchema } from './payment.entity.js';
import { paymentHandlers } from './payment.handler.js';
import { PaymentService } from './payment.service.js';
import { PaymentAttemptSchema } from './payment-attempt.entity.js';
import type { PaymentProvider } from './payment-provider.js';
import { PaymentReconciler } from './payment-reconciler.js';
import type { RefundPolicy } from './refund-policy.js';

/** What the billing domain writes to the audit log (see AuditedActions in src/audit/audit-log.ts). */
const BILLING_AUDIT_ACTIONS = {
  'payment.succeeded': 'Enroll in a priced item',
  'payment.refunded': 'RefundPayment, and CancelEnrollment of a paid enrollment',
} as const;

declare module '../audit/audit-log.js' {
  interface AuditedActions extends Record<keyof typeof BILLING_AUDIT_ACTIONS, string> {}
}

/** What the billing module takes from the composition root. */
export interface BillingModuleDeps extends ModuleContext {
  readonly provider: PaymentProvider;
  readonly refundPolicy: RefundPolicy;
  /** The enrollments payments are for (the enrollment domain implements it): a refund cancels its enrollment. */
  readonly enrollments: PaidEnrollments;
  /** How old an open payment attempt is before the reconciler settles it. */
  readonly reconcileAfterMs: number;
}

/** Payments for enrollments, their attempts at the provider, refunds. */
export const billingModule = {
  definitions: [PaymentServiceService],
  entities: [PaymentSchema, PaymentAttemptSchema],
  /** How its tables shard on Citus (the plan, src/db/sharding-plan.ts). */
  tables: {
    payments: {
      class: 'distributed',
      column: DISTRIBUTION_COLUMN,
      why: 'per user; key (user_id, id); points at its enrollment by (user_id, enrollment_id), on the same shard',
      allShards: ['GetPayment', 'RefundPayment (the lookup by id and its access check)'],
    },
    payment_attempts: {
      class: 'distributed',
      column: DISTRIBUTION_COLUMN,
      why: 'per user, written before and with the payment; key (user_id, id), idempotency key unique per user',
      allShards: ['Enroll (its attempt completed or failed by id)', 'the payment reconciler (open attempts by age, settled by id)'],
    },
  },
  rules: billingRules,
  auditActions: BILLING_AUDIT_ACTIONS,
  start: (deps: BillingModuleDeps) => {
    const payments = new PaymentService(deps.em, deps.provider, deps.tokens, deps.enrollments, deps.refundPolicy);
    return {
      services: [[PaymentServiceService, paymentHandlers(deps.unary, payments)]] as ServedServices,
      /** What the enrollment domain charges and refunds through. */
      billing: new Billing(deps.em, deps.provider, deps.refundPolicy, deps.log),
      /** Settles payment attempts left open (run by the composition root's periodic job). */
      reconciler: new PaymentReconciler(deps.em, deps.provider, { afterMs: deps.reconcileAfterMs }, deps.log, deps.registry),
    };
  },
} as const satisfies DomainModule;
