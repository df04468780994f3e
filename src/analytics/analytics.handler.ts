import { type AnalyticsServiceServer, EventType as EventTypeMessage } from '../../generated/campus/analytics/v1/analytics.js';
import type { Unary } from '../server/unary.js';
import type { AnalyticsService } from './analytics.service.js';
import type { EventType } from './event.entity.js';

const TYPE_FROM_PROTO: Partial<Record<EventTypeMessage, EventType>> = {
  [EventTypeMessage.EVENT_TYPE_LESSON_VIEWED]: 'lesson_viewed',
  [EventTypeMessage.EVENT_TYPE_LESSON_COMPLETED]: 'lesson_completed',
  [EventTypeMessage.EVENT_TYPE_ENROLLED]: 'enrolled',
  [EventTypeMessage.EVENT_TYPE_POST_CREATED]: 'post_created',
  [EventTypeMessage.EVENT_TYPE_COURSE_COMPLETED]: 'course_completed',
};

/** campus.analytics.v1.AnalyticsService: proto in, use case, proto out. */
export function analyticsHandlers(unary: Unary, analytics: AnalyticsService): AnalyticsServiceServer {
  return {
    recordEvents: unary(async (req) =>
      analytics.recordEvents(
        req.events.map((e) => ({
          type: TYPE_FROM_PROTO[e.type],
          userId: e.userId,
          catalogItemId: e.catalogItemId,
          lessonId: e.lessonId,
          occurTime: e.occurTime,
          properties: e.properties ?? {},
        })),
      ),
    ),
    getCourseEngagement: unary(async (req) => {
      const days = await analytics.courseEngagement({
        catalogItemId: req.catalogItemId,
        startTime: req.startTime,
        endTime: req.endTime,
        refresh: req.refresh,
      });
      return {
        catalogItemId: req.catalogItemId.toLowerCase(),
        days: days.map((d) => ({
          dayStartTime: d.day,
          activeLearners: BigInt(d.activeLearners),
          lessonsCompleted: BigInt(d.lessonsCompleted),
          postsWritten: BigInt(d.postsWritten),
        })),
      };
    }),
  };
}
