import type { EntityManager } from '@mikro-orm/core';
import type { Principal } from '../auth/principal.js';
import { transactional } from '../db/transaction.js';
import { failedPrecondition, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { claimRequest } from '../idempotency/idempotency.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { decodeTimeIdToken, type Page, timeIdPage } from '../pagination/time-id-keyset.js';
import { FieldChecks } from '../validation/field-checks.js';
import type { PaidEnrollments } from './billing.js';
import type { Payment } from './payment.entity.js';
import { PaymentRepository } from './payment.repository.js';
import type { PaymentProvider } from './payment-provider.js';
import { refundPayment } from './refund.js';
import { checkRefundPolicy, DEFAULT_REFUND_POLICY, type RefundPolicy } from './refund-policy.js';

export interface ListPayments {
  readonly userId: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface RefundPayment {
  readonly id: string;
  readonly etag: string;
  /** Optional; empty for none. */
  readonly requestId: string;
  /** Who asks; recorded in the audit trail. */
  readonly actor: string;
  /** Who asks: the refund policy binds learners, not admins or services. */
  readonly caller: Principal;
}

const REFUND = 'campus.billing.v1.PaymentService/RefundPayment';

/** Use cases of payments. Knows nothing of gRPC; throws DomainError. */
export class PaymentService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly provider: PaymentProvider,
    private readonly tokens: PageTokens,
    /** A refund cancels the enrollment it paid for. */
    private readonly enrollments: PaidEnrollments,
    private readonly refundPolicy: RefundPolicy = DEFAULT_REFUND_POLICY,
  ) {}

  private get payments() {
    return PaymentRepository.of(this.em);
  }

  async get(id: string): Promise<Payment> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    return mustExist(await this.payments.findById(id), id);
  }

  /** A user's payments, newest first (keyset on create_time, id). */
  async list(input: ListPayments): Promise<Page<Payment>> {
    const checks = new FieldChecks().uuid(input.userId, 'user_id');
    const limit = pageSize(input.pageSize, checks);
    checks.throwIfAny();
    const query = `payments;user_id=${input.userId};order=create_time desc,id desc`;
    const after = decodeTimeIdToken(this.tokens, input.pageToken, query);
    const rows = await this.payments.page(input.userId, after, limit + 1);
    return timeIdPage(rows, limit, this.tokens, query, (p) => ({ time: p.createTime, id: p.id }));
  }

  /**
   * Refunds a SUCCEEDED payment in full and cancels the enrollment it paid
   * for (a refund withdraws the access), in one transaction, as the refund
   * policy allows (see checkRefundPolicy). Both rows are
   * locked, enrollment first, so of concurrent refunds one succeeds and the
   * others find the payment REFUNDED.
   */
  async refund(cmd: RefundPayment): Promise<Payment> {
    const checks = new FieldChecks().uuid(cmd.id, 'id');
    if (cmd.requestId !== '') checks.uuid(cmd.requestId, 'request_id');
    checks.check(cmd.etag.length <= 64, 'etag', 'TOO_LONG', 'etag must have at most 64 characters').throwIfAny();
    return transactional(this.em, async (tx) => {
      const payments = PaymentRepository.of(tx);
      if (cmd.requestId !== '') {
        const request = { id: cmd.id, etag: cmd.etag };
        const { replayOf } = await claimRequest(tx, { operation: REFUND, requestId: cmd.requestId, request, resourceId: cmd.id });
        if (replayOf) return mustExist(await payments.findById(replayOf), replayOf);
      }
      const enrollmentId = await payments.enrollmentIdOf(cmd.id);
      if (enrollmentId === undefined) throw notFound('Payment', cmd.id);
      const enrollment = await this.enrollments.lock(tx, enrollmentId);
      const payment = mustExist(await payments.lockById(cmd.id), cmd.id);
      checkEtag(payment.version, cmd.etag, 'Payment');
      if (payment.status !== 'succeeded') {
        throw failedPrecondition('PAYMENT_NOT_REFUNDABLE', {
          type: 'PAYMENT_STATUS',
          subject: `payments/${payment.id}`,
          description: `only a succeeded payment is refunded; this one is ${payment.status}`,
        });
      }
      const now = new Date();
      if (enrollment) await checkRefundPolicy(this.refundPolicy, cmd.caller, enrollment, now);
      await refundPayment(tx, this.provider, payment, cmd.actor, now);
      if (enrollment && !enrollment.cancelled) enrollment.withdraw(cmd.actor, now);
      return payment;
    });
  }
}

function mustExist(payment: Payment | null, id: string): Payment {
  if (!payment) throw notFound('Payment', id);
  return payment;
}
