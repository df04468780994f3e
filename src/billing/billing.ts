import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { failedPrecondition } from '../errors/domain-error.js';
import type { Logger } from '../logger.js';
import { PaymentRepository } from './payment.repository.js';
import { type Attempt, completeAttempt, failAttempt, type OpenAttempt, openAttempt, settleAttempt } from './payment-attempts.js';
import { callProvider, type PaymentProvider } from './payment-provider.js';
import { refundPayment } from './refund.js';
import { checkRefundPolicy, type RefundPolicy } from './refund-policy.js';

/**
 * An enrollment as billing sees it when its payment is given back: who, what,
 * since when, how far the learner got (for the refund policy), and how to
 * withdraw the access it gives. The enrollment domain makes these (see
 * enrollment/paid-enrollments.ts), always row-locked in the transaction.
 */
export interface PaidEnrollment {
  readonly id: string;
  readonly userId: string;
  readonly catalogItemId: string;
  readonly enrolledAt: Date;
  readonly cancelled: boolean;
  /** The share of the item's lessons the learner completed, 0..100. */
  completionPercent(): Promise<number>;
  /** Cancels the enrollment in the transaction (with its audit entry); its cached copies follow the commit. */
  withdraw(actor: string, at: Date): void;
}

/** What billing needs of the enrollments it is paid for; the enrollment domain provides it. */
export interface PaidEnrollments {
  /** Row-locks an enrollment in `tx` (before its payment: the lock order everywhere); undefined when there is none. */
  lock(tx: EntityManager, enrollmentId: string): Promise<PaidEnrollment | undefined>;
}

/**
 * What billing offers the enrollment domain: the charge of a priced
 * enrollment and the refund of a cancelled one's payment, each inside the
 * caller's transaction. Payments, attempts and the provider are billing's
 * alone; nothing else reads or writes them.
 */
export class Billing {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    private readonly provider: PaymentProvider,
    private readonly refundPolicy: RefundPolicy,
    private readonly log: Logger,
  ) {}

  /**
   * Records the attempt to charge for an enrollment and commits it, before
   * the enrollment's transaction begins (see openAttempt): whatever fails
   * after the provider was asked, the attempt says so.
   */
  async openCharge(attempt: OpenAttempt): Promise<EnrollmentCharge> {
    return new EnrollmentCharge(this.em, this.provider, this.log, await openAttempt(this.em, attempt));
  }

  /**
   * Inside the transaction that cancels a locked enrollment: refunds its
   * succeeded payment, if it has one, as the refund policy allows.
   */
  async refundOnCancel(tx: EntityManager, enrollment: PaidEnrollment, caller: Principal, actor: string, at: Date): Promise<void> {
    const payment = await PaymentRepository.of(tx).lockSucceededOf(enrollment.userId, enrollment.id);
    if (!payment) return;
    await checkRefundPolicy(this.refundPolicy, caller, enrollment, at);
    await refundPayment(tx, this.provider, payment, actor, at);
  }
}

/** What one charge is for: the enrollment just written in the transaction. */
export interface ChargeFor {
  readonly userId: string;
  readonly catalogItemId: string;
  /** The enrollment just written in the transaction. */
  readonly enrollmentId: string;
  /** Who asks; recorded in the audit trail. */
  readonly actor: string;
  readonly now: Date;
}

/**
 * The charge of one Enroll of a priced item, from its committed attempt to
 * its payment. `take` runs in the enrollment's transaction; after it, exactly
 * one of `afterCommit` and `afterFailure` settles the attempt. Money is safe
 * whatever fails when: an attempt never charged or declined took nothing; a
 * charged one whose transaction failed is settled at once (refunded unless
 * the payment did commit); one whose charge got no answer stays open, for a
 * retry of the request (same key, same charge at the provider) or the
 * PaymentReconciler.
 */
export class EnrollmentCharge {
  /** The provider was asked: money may have been taken. */
  private asked = false;
  /** The provider said no: no money was taken. */
  private declined = false;
  /** The provider gave no answer: the outcome is unknown until the attempt's key is asked again. */
  private unknown = false;

  constructor(
    private readonly em: EntityManager,
    private readonly provider: PaymentProvider,
    private readonly log: Logger,
    readonly attempt: Attempt & OpenAttempt,
  ) {}

  /** Charges the attempt and writes its payment with its audit entry, completing the attempt; PAYMENT_DECLINED when refused. */
  async take(tx: EntityManager, charge: ChargeFor): Promise<void> {
    const { attempt } = this;
    const { userId, enrollmentId, actor, now } = charge;
    const paymentId = attempt.id;
    this.asked = true;
    const charged = await callProvider(() =>
      this.provider.charge({
        paymentId,
        userId,
        amount: attempt.amount,
        currency: attempt.currency,
        idempotencyKey: attempt.idempotencyKey,
      }),
    ).catch((err: unknown) => {
      this.unknown = true;
      throw err;
    });
    if (charged.status !== 'succeeded') {
      this.declined = true;
      throw failedPrecondition('PAYMENT_DECLINED', {
        type: 'PAYMENT',
        subject: `catalog_items/${charge.catalogItemId}`,
        description: 'the payment provider declined the charge',
      });
    }
    await completeAttempt(
      tx,
      paymentId,
      { userId, enrollmentId, amount: attempt.amount, currency: attempt.currency, providerRef: charged.providerRef },
      now,
    );
    recordAudit(tx, {
      actor,
      action: 'payment.succeeded',
      entityId: paymentId,
      diff: {
        status: [null, 'succeeded'],
        amount: [null, attempt.amount.toString()],
        currency: [null, attempt.currency],
        enrollment_id: [null, enrollmentId],
      },
    });
  }

  /** After the enrollment's transaction committed: an attempt it did not charge (a replay, a race) took nothing. */
  async afterCommit(): Promise<void> {
    if (!this.asked) await failAttempt(this.em, this.attempt.id);
  }

  /** After the enrollment's transaction failed: settles the attempt now where that is possible. Never throws. */
  async afterFailure(): Promise<void> {
    if (this.unknown) return;
    try {
      if (!this.asked || this.declined) await failAttempt(this.em, this.attempt.id);
      else await settleAttempt(this.em, this.provider, this.attempt.id);
    } catch (err) {
      this.log.warn({ err, paymentAttemptId: this.attempt.id }, 'payment attempt left open for the reconciler');
    }
  }
}

/**
 * What the other domains read of billing's tables (payments,
 * payment_attempts), each one statement on `em`. Ids are taken as given: a
 * caller checks their form first.
 */
export interface BillingReads {
  /** The paying user of a payment; undefined when there is no such payment. */
  payerOf(paymentId: string): Promise<string | undefined>;
}

/** BillingReads over `em` (the request's unit of work, or a transaction's). */
export function billingReads(em: EntityManager): BillingReads {
  return { payerOf: (paymentId) => PaymentRepository.of(em).payerOf(paymentId) };
}
