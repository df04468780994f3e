import {
  type Enrollment as EnrollmentMessage,
  type EnrollmentServiceServer,
  EnrollmentStatus as EnrollmentStatusProto,
  type Progress as ProgressMessage,
} from '../../generated/campus/enrollment/v1/enrollment.js';
import { etagOf } from '../errors/etag.js';
import type { Unary } from '../server/unary.js';
import type { Enrollment, EnrollmentStatus } from './enrollment.entity.js';
import type { EnrollmentService } from './enrollment.service.js';
import type { Progress } from './progress-reader.js';

/** campus.enrollment.v1.EnrollmentService: proto in, use case, proto out. */
export function enrollmentHandlers(unary: Unary, enrollments: EnrollmentService): EnrollmentServiceServer {
  return {
    enroll: unary(async (req, ctx) =>
      toMessage(
        await enrollments.enroll({
          userId: req.userId,
          catalogItemId: req.catalogItemId,
          requestId: req.requestId,
          actor: ctx.principal.id,
        }),
      ),
    ),
    getEnrollment: unary(async (req) => toMessage(await enrollments.get(req.id))),
    listEnrollments: unary(async (req) => {
      const page = await enrollments.list(req);
      return { enrollments: page.items.map(toMessage), nextPageToken: page.nextPageToken };
    }),
    cancelEnrollment: unary(async (req, ctx) =>
      toMessage(
        await enrollments.cancel({ id: req.id, etag: req.etag, requestId: req.requestId, actor: ctx.principal.id, caller: ctx.principal }),
      ),
    ),
    recordLessonCompletion: unary(async (req, ctx) =>
      toProgressMessage(await enrollments.recordLessonCompletion({ userId: req.userId, lessonId: req.lessonId, actor: ctx.principal.id })),
    ),
    getProgress: unary(async (req) => toProgressMessage(await enrollments.progress(req.userId, req.catalogItemId))),
  };
}

const STATUS_TO_PROTO: Record<EnrollmentStatus, EnrollmentStatusProto> = {
  active: EnrollmentStatusProto.ENROLLMENT_STATUS_ACTIVE,
  completed: EnrollmentStatusProto.ENROLLMENT_STATUS_COMPLETED,
  cancelled: EnrollmentStatusProto.ENROLLMENT_STATUS_CANCELLED,
};

export function toMessage(enrollment: Enrollment): EnrollmentMessage {
  return {
    id: enrollment.id,
    userId: enrollment.user.id,
    catalogItemId: enrollment.catalogItem.id,
    status: STATUS_TO_PROTO[enrollment.status],
    enrollTime: enrollment.enrolledAt,
    completeTime: enrollment.completedAt ?? undefined,
    cancelTime: enrollment.cancelledAt ?? undefined,
    etag: etagOf(enrollment.version),
  };
}

export function toProgressMessage(progress: Progress): ProgressMessage {
  return {
    userId: progress.userId,
    catalogItemId: progress.catalogItemId,
    enrollmentId: progress.enrollmentId,
    enrollmentStatus: STATUS_TO_PROTO[progress.enrollmentStatus],
    completedLessons: progress.completedLessonIds.length,
    totalLessons: progress.totalLessons,
    percent: progress.percent,
    completedLessonIds: [...progress.completedLessonIds],
  };
}
