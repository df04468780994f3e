import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { recordAudit } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import type { Billing, EnrollmentCharge } from '../billing/billing.js';
import { catalogReads } from '../catalog/catalog.js';
import { transactional } from '../db/transaction.js';
import { aborted, alreadyExists, type DomainError, failedPrecondition, notFound } from '../errors/domain-error.js';
import { checkEtag } from '../errors/etag.js';
import { claimRequest, claimStep, firstClaimOf } from '../idempotency/idempotency.js';
import { recordOutboxEvent } from '../outbox/record-outbox-event.js';
import { pageSize } from '../pagination/page-size.js';
import type { PageTokens } from '../pagination/page-token.js';
import { decodeTimeIdToken, type Page, timeIdPage } from '../pagination/time-id-keyset.js';
import { FieldChecks } from '../validation/field-checks.js';
import { type Enrollment, EnrollmentSchema, type EnrollmentStatus } from './enrollment.entity.js';
import type { EnrollmentOwner } from './enrollment.repository.js';
import { EnrollmentRepository } from './enrollment.repository.js';
import { LessonProgressRepository } from './lesson-progress.repository.js';
import { paidEnrollment } from './paid-enrollments.js';
import type { ProgressCache } from './progress.cache.js';
import type { Progress } from './progress-reader.js';

export interface Enroll {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly requestId: string;
  /** Who asks; recorded in the audit trail. */
  readonly actor: string;
}

export interface ListEnrollments {
  readonly userId: string;
  readonly catalogItemId: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface CancelEnrollment {
  readonly id: string;
  readonly etag: string;
  /** Optional; empty for none. */
  readonly requestId: string;
  readonly actor: string;
  /** Who asks: the refund policy binds learners, not admins or services. */
  readonly caller: Principal;
}

export interface RecordLessonCompletion {
  readonly userId: string;
  readonly lessonId: string;
  readonly actor: string;
}

const ENROLL = 'campus.enrollment.v1.EnrollmentService/Enroll';
const CANCEL = 'campus.enrollment.v1.EnrollmentService/CancelEnrollment';

/**
 * Use cases of enrollments and lesson progress. Knows nothing of gRPC; throws
 * DomainError. Every write is one method and one transaction, and what it
 * tells analytics (enrolled, lesson and course completed) is an outbox row
 * of that same transaction (see OutboxRelay); once it has committed, the
 * learner's cached progress is invalidated.
 */
export class EnrollmentService {
  constructor(
    /** The request-scoped PostgreSQL EntityManager. */
    private readonly em: EntityManager,
    /** Charges priced enrollments and refunds cancelled ones. */
    private readonly billing: Billing,
    private readonly tokens: PageTokens,
    /** Where GetProgress reads, and what the writes invalidate. */
    private readonly progressCache: ProgressCache,
  ) {}

  private get enrollments() {
    return EnrollmentRepository.of(this.em);
  }

  /**
   * Enrolls the user in a published item and, for a priced one, charges it:
   * the enrollment, the payment and their audit entries commit together or
   * not at all. The enrollment row is written before the charge, so a
   * concurrent duplicate fails on the unique (user, item) index before it is
   * charged. The charge is billing's (see EnrollmentCharge): its attempt is
   * committed before the transaction begins and settled after it, whatever
   * the outcome.
   */
  async enroll(cmd: Enroll): Promise<Enrollment> {
    new FieldChecks().uuid(cmd.userId, 'user_id').uuid(cmd.catalogItemId, 'catalog_item_id').uuid(cmd.requestId, 'request_id').throwIfAny();
    const enrollmentId = uuidv7();
    const charge = await this.openChargeFor(cmd, enrollmentId);
    let enrollment: Enrollment;
    try {
      enrollment = await transactional(this.em, (tx) => this.enrollIn(tx, cmd, enrollmentId, charge));
    } catch (err) {
      await charge?.afterFailure();
      throw err;
    }
    await charge?.afterCommit();
    // The learner's cached NOT_FOUND progress in the item is now wrong.
    await this.progressCache.invalidate(enrollment.user.id, enrollment.catalogItem.id);
    return enrollment;
  }

  private async enrollIn(tx: EntityManager, cmd: Enroll, enrollmentId: string, charge: EnrollmentCharge | undefined): Promise<Enrollment> {
    const enrollments = EnrollmentRepository.of(tx);
    const claim = {
      operation: ENROLL,
      requestId: cmd.requestId,
      request: { userId: cmd.userId, catalogItemId: cmd.catalogItemId },
      resourceId: enrollmentId,
    };
    // The request id is claimed by the statement that reads Enroll's checks: one round trip for both.
    const context = await enrollments.enrollContext(cmd.userId, cmd.catalogItemId, claimStep(claim));
    if (!context.claimed) {
      const replayOf = await firstClaimOf(tx, claim);
      return mustExist(await enrollments.findById(replayOf), replayOf);
    }
    if (!context.userExists) throw notFound('User', cmd.userId);
    const item = context.item;
    if (!item) throw notFound('CatalogItem', cmd.catalogItemId);
    if (!item.published) {
      throw failedPrecondition('ITEM_NOT_PUBLISHED', {
        type: 'PUBLICATION',
        subject: `catalog_items/${cmd.catalogItemId}`,
        description: 'the catalog item is not published',
      });
    }
    if (context.existing === 'cancelled') throw enrollmentCancelled(`users/${cmd.userId}/catalog_items/${cmd.catalogItemId}`);
    if (context.existing) throw alreadyEnrolled();

    const now = new Date();
    const enrollment = tx.create(EnrollmentSchema, {
      id: enrollmentId,
      user: cmd.userId,
      catalogItem: cmd.catalogItemId,
      status: 'active',
      enrolledAt: now,
    });
    await flushEnrollment(tx);
    // Recorded after the enrollment's own insert, so that for a priced item
    // both audit entries go to the database in one statement with the payment's flush.
    recordAudit(tx, {
      actor: cmd.actor,
      action: 'enrollment.created',
      entityId: enrollmentId,
      diff: { status: [null, 'active'], user_id: [null, cmd.userId], catalog_item_id: [null, cmd.catalogItemId] },
    });
    // Committed with the enrollment (a replay returned above: announced once).
    recordOutboxEvent(tx, {
      type: 'enrolled',
      userId: enrollment.user.id,
      catalogItemId: enrollment.catalogItem.id,
      occurTime: now,
      properties: { enrollmentId },
    });
    if (item.priceAmount > 0n) {
      // The price read before the transaction is the one the attempt was recorded with.
      const attempt = charge?.attempt;
      if (!attempt || attempt.amount !== item.priceAmount || attempt.currency !== item.currency) throw priceChanged(cmd.catalogItemId);
      await charge.take(tx, { userId: cmd.userId, catalogItemId: cmd.catalogItemId, enrollmentId, actor: cmd.actor, now });
    }
    return enrollment;
  }

  /** Opens the charge of a priced enrollment (its attempt committed) before its transaction begins. */
  private async openChargeFor(cmd: Enroll, enrollmentId: string): Promise<EnrollmentCharge | undefined> {
    // Read before the transaction so that the payment attempt can be recorded first; the transaction checks the price again.
    const price = await catalogReads(this.em).priceToCharge(cmd.catalogItemId, ENROLL, cmd.requestId);
    if (!price) return undefined;
    return this.billing.openCharge({
      // A retry of the same request (same request_id) is the same charge at the provider.
      requestKey: `enroll:${cmd.requestId.toLowerCase()}`,
      userId: cmd.userId.toLowerCase(),
      enrollmentId,
      amount: price.amountMinor,
      currency: price.currencyCode,
    });
  }

  async get(id: string): Promise<Enrollment> {
    new FieldChecks().uuid(id, 'id').throwIfAny();
    return mustExist(await this.enrollments.findById(id), id);
  }

  /** A user's or an item's enrollments, newest first (keyset on enrolled_at, id). */
  async list(input: ListEnrollments): Promise<Page<Enrollment>> {
    const checks = new FieldChecks();
    const byUser = input.userId !== '';
    const byItem = input.catalogItemId !== '';
    if (byUser === byItem) {
      const description = 'exactly one of user_id and catalog_item_id must be set';
      const reason = byUser ? 'ONE_OF_CONFLICT' : 'ONE_OF_REQUIRED';
      checks.add('user_id', reason, description).add('catalog_item_id', reason, description);
    } else if (byUser) {
      checks.uuid(input.userId, 'user_id');
    } else {
      checks.uuid(input.catalogItemId, 'catalog_item_id');
    }
    const limit = pageSize(input.pageSize, checks);
    checks.throwIfAny();
    const owner: EnrollmentOwner = byUser ? { userId: input.userId } : { catalogItemId: input.catalogItemId };
    const query = byUser
      ? `enrollments;user_id=${input.userId};order=enrolled_at desc,id desc`
      : `enrollments;catalog_item_id=${input.catalogItemId};order=enrolled_at desc,id desc`;
    const after = decodeTimeIdToken(this.tokens, input.pageToken, query);
    const rows = await this.enrollments.page(owner, after, limit + 1);
    return timeIdPage(rows, limit, this.tokens, query, (e) => ({ time: e.enrolledAt, id: e.id }));
  }

  /**
   * Cancels an ACTIVE enrollment and refunds its payment, if any, in one
   * transaction; a paid one only as the refund policy allows (see
   * checkRefundPolicy). A second cancel is FAILED_PRECONDITION (the refund cannot
   * happen twice); the same request_id again returns the enrollment as the
   * first call left it.
   */
  async cancel(cmd: CancelEnrollment): Promise<Enrollment> {
    const checks = new FieldChecks().uuid(cmd.id, 'id');
    if (cmd.requestId !== '') checks.uuid(cmd.requestId, 'request_id');
    checks.check(cmd.etag.length <= 64, 'etag', 'TOO_LONG', 'etag must have at most 64 characters').throwIfAny();
    return transactional(this.em, async (tx) => {
      const enrollments = EnrollmentRepository.of(tx);
      if (cmd.requestId !== '') {
        const request = { id: cmd.id, etag: cmd.etag };
        const { replayOf } = await claimRequest(tx, { operation: CANCEL, requestId: cmd.requestId, request, resourceId: cmd.id });
        if (replayOf) return mustExist(await enrollments.findById(replayOf), replayOf);
      }
      // Lock order everywhere: enrollment, then its payment.
      const enrollment = mustExist(await enrollments.lockById(cmd.id), cmd.id);
      checkEtag(enrollment.version, cmd.etag, 'Enrollment');
      if (enrollment.status === 'cancelled') throw enrollmentCancelled(`enrollments/${enrollment.id}`);
      if (enrollment.status === 'completed') {
        throw failedPrecondition('ENROLLMENT_COMPLETED', {
          type: 'ENROLLMENT_STATUS',
          subject: `enrollments/${enrollment.id}`,
          description: 'a completed enrollment is not cancelled; refund its payment instead',
        });
      }
      const now = new Date();
      const paid = paidEnrollment(tx, enrollment, this.progressCache);
      await this.billing.refundOnCancel(tx, paid, cmd.caller, cmd.actor, now);
      paid.withdraw(cmd.actor, now);
      return enrollment;
    });
  }

  /**
   * Records a lesson completion (idempotent) and returns the progress. The
   * enrollment row is locked first, so of concurrent completions the last
   * one sees every lesson; completing the last lesson completes the
   * enrollment in the same transaction.
   */
  async recordLessonCompletion(cmd: RecordLessonCompletion): Promise<Progress> {
    new FieldChecks().uuid(cmd.userId, 'user_id').uuid(cmd.lessonId, 'lesson_id').throwIfAny();
    const now = new Date();
    const lessons = LessonProgressRepository.of(this.em);
    // One statement, committed on its own: the completion and its lesson_completed event, or nothing.
    const recorded = await lessons.recordCompletion(cmd.userId, cmd.lessonId, now);
    if (!recorded) {
      if (!(await catalogReads(this.em).lessonExists(cmd.lessonId))) throw notFound('Lesson', cmd.lessonId);
      throw failedPrecondition('NOT_ENROLLED', {
        type: 'ENROLLMENT',
        subject: `lessons/${cmd.lessonId}`,
        description: "the user is not enrolled in the lesson's catalog item",
      });
    }
    if (recorded.status === 'cancelled') throw enrollmentCancelled(`enrollments/${recorded.enrollmentId}`);
    // Read after the completion committed, so that of concurrent completions the last one sees them all.
    let progress = await lessons.progress(cmd.userId, recorded.catalogItemId);
    if (!progress) throw notFound('Enrollment', recorded.enrollmentId);
    const allDone = progress.totalLessons > 0 && progress.completedLessonIds.length >= progress.totalLessons;
    if (progress.enrollmentStatus === 'active' && allDone) {
      const status = await this.completeEnrollment(cmd, progress, now);
      progress = { ...progress, enrollmentStatus: status };
    }
    await this.progressCache.invalidate(progress.userId, progress.catalogItemId);
    return progress;
  }

  /**
   * Marks an enrollment whose every lesson is done completed, with its audit
   * entry and course_completed event, in one transaction; of concurrent
   * callers one does it. Returns the enrollment's status after it.
   */
  private async completeEnrollment(cmd: RecordLessonCompletion, progress: Progress, now: Date): Promise<EnrollmentStatus> {
    return transactional(this.em, async (tx) => {
      const enrollments = EnrollmentRepository.of(tx);
      if (!(await enrollments.markCompleted(cmd.userId, progress.enrollmentId, now))) {
        return (await enrollments.statusOf(cmd.userId, progress.enrollmentId)) ?? 'completed';
      }
      recordAudit(tx, {
        actor: cmd.actor,
        action: 'enrollment.completed',
        entityId: progress.enrollmentId,
        diff: { status: ['active', 'completed'], completed_at: [null, now.toISOString()] },
      });
      recordOutboxEvent(tx, {
        userId: progress.userId,
        catalogItemId: progress.catalogItemId,
        occurTime: now,
        type: 'course_completed',
        properties: { enrollmentId: progress.enrollmentId },
      });
      return 'completed';
    });
  }

  /** Read through the progress cache (see ProgressCache). */
  async progress(userId: string, catalogItemId: string): Promise<Progress> {
    new FieldChecks().uuid(userId, 'user_id').uuid(catalogItemId, 'catalog_item_id').throwIfAny();
    const progress = await this.progressCache.progress(userId, catalogItemId);
    if (!progress) throw notFound('Enrollment', `users/${userId}/catalog_items/${catalogItemId}`);
    return progress;
  }
}

function priceChanged(catalogItemId: string): DomainError {
  return aborted('PRICE_CHANGED', `the price of catalog item ${catalogItemId} changed while enrolling; retry with the same request_id`);
}

function mustExist(enrollment: Enrollment | null, id: string): Enrollment {
  if (!enrollment) throw notFound('Enrollment', id);
  return enrollment;
}

/** Flushes the new enrollment; the unique (user, item) index turns a concurrent duplicate into ALREADY_EXISTS. */
async function flushEnrollment(tx: EntityManager): Promise<void> {
  try {
    await tx.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw alreadyEnrolled();
    throw err;
  }
}

function alreadyEnrolled(): DomainError {
  return alreadyExists('Enrollment', 'ALREADY_ENROLLED', 'the user is already enrolled in this catalog item');
}

function enrollmentCancelled(subject: string): DomainError {
  return failedPrecondition('ENROLLMENT_CANCELLED', {
    type: 'ENROLLMENT_STATUS',
    subject,
    description: 'the enrollment was cancelled',
  });
}
