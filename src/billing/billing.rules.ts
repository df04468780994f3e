import { PaymentServiceService as P } from '../../generated/campus/billing/v1/payment.js';
import { type MethodRule, rule } from '../auth/access-rule.js';
import { is, owns } from '../auth/rule-helpers.js';

/** The rows of the rule table for campus.billing.v1.PaymentService (see src/auth/rules.ts). */
export function billingRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(P.getPayment, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      after: { owner: (p, payment) => is(p, payment.userId) },
      note: 'checked on the payment read',
    }),
    rule(P.listPayments, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: (p, req) => is(p, req.userId) },
    }),
    rule(P.refundPayment, {
      anonymous: 'none', student: ['owner'], instructor: ['owner'], admin: 'all', service: 'all',
      before: { owner: async (p, req, l) => owns(p, await l.paymentOwner(req.id)) },
      note: "the payment's owner is looked up before anything changes",
    }),
  ];
}
