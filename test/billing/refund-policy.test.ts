import { createHash, randomBytes } from 'node:crypto';
import { type Metadata, status } from '@grpc/grpc-js';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PaymentServiceClient, PaymentStatus } from '../../generated/campus/billing/v1/payment.js';
import { EnrollmentServiceClient, EnrollmentStatus } from '../../generated/campus/enrollment/v1/enrollment.js';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createUser } from '../support/builders.js';
import { rawClient } from '../support/databases.js';
import { insertCatalogItem, newRequestId } from '../support/fixtures.js';
import { bearer, call, failure } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

/**
 * The refund policy: a learner gives a paid enrollment back (CancelEnrollment
 * or RefundPayment) only within REFUND_WINDOW_DAYS of enrolling and below
 * REFUND_MAX_COMPLETION_PERCENT of its lessons; admins and services always may.
 */

const BILLING_TOKEN = randomBytes(32).toString('base64url');
let server: TestServer;
let db: pg.Client;
let payments: PaymentServiceClient;
let enrollments: EnrollmentServiceClient;
let users: UserServiceClient;

useTestServer(
  {
    env: {
      REFUND_WINDOW_DAYS: '14',
      REFUND_MAX_COMPLETION_PERCENT: '50',
      SERVICE_TOKENS: JSON.stringify([
        {
          name: 'billing-worker',
          sha256: createHash('sha256').update(BILLING_TOKEN).digest('hex'),
          methods: ['campus.billing.v1.PaymentService/*', 'campus.enrollment.v1.EnrollmentService/*'],
        },
      ]),
    },
  },
  async (s, scope) => {
    server = s;
    scope.onClose(async () => {
      await db?.end();
    });
    db = await rawClient(server.config.databaseUrl ?? '');
    payments = scope.connect(PaymentServiceClient);
    enrollments = scope.connect(EnrollmentServiceClient);
    users = scope.connect(UserServiceClient);
  },
);

/** A signed-in student enrolled (paid) in an item of four lessons, `completed` of them done, enrolled `daysAgo` days ago. */
async function paidLearner(opts: { completed?: number; daysAgo?: number } = {}) {
  const user = await createUser(users, {}, 'correct horse battery');
  const student = await server.signIn(user.email, 'correct horse battery');
  const item = await insertCatalogItem(db, { priceAmount: 4_900n, lessons: 4 });
  const enrollment = await call(
    enrollments.enroll,
    enrollments,
    { userId: user.id, catalogItemId: item.id, requestId: newRequestId() },
    student,
  );
  for (const lessonId of item.lessonIds.slice(0, opts.completed ?? 0)) {
    await call(enrollments.recordLessonCompletion, enrollments, { userId: user.id, lessonId }, student);
  }
  if (opts.daysAgo) {
    await db.query(`update enrollments set enrolled_at = now() - make_interval(days => $2) where id = $1`, [enrollment.id, opts.daysAgo]);
  }
  const { rows } = await db.query<{ id: string }>('select id from payments where enrollment_id = $1', [enrollment.id]);
  return { student, enrollmentId: enrollment.id, paymentId: rows[0]?.id ?? '' };
}

const refund = (id: string, as: Metadata) => call(payments.refundPayment, payments, { id, etag: '', requestId: '' }, as);
const cancel = (id: string, as: Metadata) => call(enrollments.cancelEnrollment, enrollments, { id, etag: '', requestId: '' }, as);
const paymentStatus = async (id: string) => (await call(payments.getPayment, payments, { id })).status;

describe('refund policy', () => {
  it('when a learner refunds within the window and below the completion share, then the payment is REFUNDED', async () => {
    const { student, paymentId } = await paidLearner({ completed: 1 });
    expect((await refund(paymentId, student)).status).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });

  it('when a learner cancels within the window and below the completion share, then it is CANCELLED and refunded', async () => {
    const { student, enrollmentId, paymentId } = await paidLearner({ completed: 1, daysAgo: 13 });
    expect((await cancel(enrollmentId, student)).status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
    expect(await paymentStatus(paymentId)).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });

  for (const [name, giveBack] of [
    ['RefundPayment', (l: { paymentId: string; student: Metadata }) => refund(l.paymentId, l.student)],
    ['CancelEnrollment', (l: { enrollmentId: string; student: Metadata }) => cancel(l.enrollmentId, l.student)],
  ] as const) {
    it(`when a learner calls ${name} with half the lessons done, then FAILED_PRECONDITION names the completion rule and nothing changes`, async () => {
      const learner = await paidLearner({ completed: 2 });
      const err = await failure(giveBack(learner));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.reason).toBe('REFUND_COMPLETION_EXCEEDED');
      expect(err.preconditions).toEqual([{ type: 'REFUND_POLICY', subject: 'refund_max_completion_percent' }]);
      expect(await paymentStatus(learner.paymentId)).toBe(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    });

    it(`when a learner calls ${name} after the window, then FAILED_PRECONDITION names the window rule`, async () => {
      const learner = await paidLearner({ daysAgo: 15 });
      const err = await failure(giveBack(learner));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.reason).toBe('REFUND_WINDOW_PASSED');
      expect(err.preconditions).toEqual([{ type: 'REFUND_POLICY', subject: 'refund_window_days' }]);
      expect(await paymentStatus(learner.paymentId)).toBe(PaymentStatus.PAYMENT_STATUS_SUCCEEDED);
    });
  }

  it('when a learner at 100% refunds a month later, then both rules are named', async () => {
    const learner = await paidLearner({ completed: 4, daysAgo: 30 });
    const err = await failure(refund(learner.paymentId, learner.student));
    expect(err.preconditions.map((p) => p.subject)).toEqual(['refund_window_days', 'refund_max_completion_percent']);
  });

  it('when an admin refunds a completed course a month later, then the payment is REFUNDED', async () => {
    const { paymentId } = await paidLearner({ completed: 4, daysAgo: 30 });
    expect((await refund(paymentId, await server.asAdmin())).status).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });

  it('when the billing service refunds or cancels beyond the policy, then it is allowed', async () => {
    const billing = bearer(BILLING_TOKEN);
    const late = await paidLearner({ completed: 3, daysAgo: 30 });
    expect((await refund(late.paymentId, billing)).status).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
    const other = await paidLearner({ completed: 3, daysAgo: 30 });
    expect((await cancel(other.enrollmentId, billing)).status).toBe(EnrollmentStatus.ENROLLMENT_STATUS_CANCELLED);
    expect(await paymentStatus(other.paymentId)).toBe(PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });
});
