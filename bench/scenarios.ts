import { randomUUID } from 'node:crypto';
import {
  type CatalogItem,
  CatalogServiceService,
  type GetCatalogItemRequest,
  type ListCatalogItemsRequest,
  type ListCatalogItemsResponse,
} from '../generated/campus/catalog/v1/catalog.js';
import {
  type Enrollment,
  EnrollmentServiceService,
  type EnrollRequest,
  type Progress,
  type RecordLessonCompletionRequest,
} from '../generated/campus/enrollment/v1/enrollment.js';
import { AuthServiceService, type Principal, type WhoAmIRequest } from '../generated/campus/identity/v1/auth.js';
import { type GetUserRequest, type User, UserServiceService } from '../generated/campus/identity/v1/user.js';
import {
  BENCH_LESSONS_PER_ITEM,
  benchEnrolledItem,
  benchItemId,
  benchItemPublished,
  benchLessonId,
  ensureBenchEnrollments,
  ensureBenchItems,
} from './bench-catalog.js';
import { benchUserId, ensureBenchUsers } from './bench-users.js';
import { defineScenario, type Scenario } from './scenario.js';
import { zipfSampler } from './zipf-sampler.js';

/** Skew of id choice: a few users are read far more often than the rest, as in real traffic. */
const ZIPF_S = 1.0;

/** Ids per BatchGet when a setup warms the cache. */
const WARM_BATCH = 1000;

/** GetUser calls in flight when a setup warms the user cache. */
const WARM_CALLS = 16;

/** Page size of the list scenario. */
const LIST_PAGE_SIZE = 50;

/** Every scenario `npm run bench` knows, in the order they run. */
export const scenarios: readonly Scenario[] = [
  // The floor of the request path: authentication, authorization, metrics,
  // request scope and error mapping, with no store touched.
  defineScenario<WhoAmIRequest, Principal, null>({
    name: 'WhoAmI',
    method: AuthServiceService.whoAmI,
    setup: async () => null,
    makeRequest: () => () => ({}),
  }),

  defineScenario<GetUserRequest, User, { users: number }>({
    name: 'GetUser',
    method: UserServiceService.getUser,
    setup: async ({ sql, options, call }) => {
      await ensureBenchUsers(sql, options.seedUsers);
      // Every user read once, so the measured phase is the warm cache, not the cold start of a fresh key prefix.
      // Through GetUser, WARM_CALLS at a time: BatchGetUsers reads PostgreSQL, not the cache.
      let next = 0;
      const warm = async () => {
        while (next < options.seedUsers) await call(UserServiceService.getUser, { id: benchUserId(next++) });
      };
      await Promise.all(Array.from({ length: WARM_CALLS }, warm));
      return { users: options.seedUsers };
    },
    makeRequest: ({ users }, random) => {
      const next = zipfSampler(users, ZIPF_S, random);
      return () => ({ id: benchUserId(next()) });
    },
  }),

  getCatalogItem('GetCatalogItem cached'),
  // One published item for every call: the near cache's best case.
  defineScenario<GetCatalogItemRequest, CatalogItem, { id: string }>({
    name: 'GetCatalogItem one hot id',
    method: CatalogServiceService.getCatalogItem,
    setup: async ({ sql, options }) => {
      await ensureBenchItems(sql, options.seedItems);
      return { id: benchItemId(benchItemPublished(0) ? 0 : 1) };
    },
    makeRequest:
      ({ id }) =>
      () => ({ id }),
  }),
  // The same reads with the cache off: every call a point read in PostgreSQL.
  getCatalogItem('GetCatalogItem uncached', { CACHE_ENABLED: 'false' }),

  // Every page of the published items, newest first, each as likely: the
  // tokens are collected once by walking the list through the service.
  defineScenario<ListCatalogItemsRequest, ListCatalogItemsResponse, { tokens: string[] }>({
    name: 'ListCatalogItems page 50',
    method: CatalogServiceService.listCatalogItems,
    setup: async ({ sql, options, call }) => {
      await ensureBenchItems(sql, options.seedItems);
      const tokens: string[] = [];
      let token = '';
      do {
        tokens.push(token);
        const page = await call(CatalogServiceService.listCatalogItems, listRequest(token));
        if (page.catalogItems.length !== LIST_PAGE_SIZE && page.nextPageToken !== '') throw new Error('short page before the last');
        token = page.nextPageToken;
      } while (token !== '');
      return { tokens };
    },
    makeRequest:
      ({ tokens }, random) =>
      () =>
        listRequest(tokens[Math.floor(random() * tokens.length)] ?? ''),
  }),

  // Each call a (user, item) pair no call enrolled before, with a new
  // request_id: the whole write path (idempotency claim, checks, enrollment,
  // payment for the nine in ten priced items, audit entries).
  defineScenario<EnrollRequest, Enrollment, { users: number; items: number }>({
    name: 'Enroll',
    method: EnrollmentServiceService.enroll,
    setup: async ({ sql, options }) => {
      await ensureBenchUsers(sql, options.seedUsers);
      await ensureBenchItems(sql, options.seedItems);
      await ensureBenchEnrollments(sql, options.seedUsers, options.seedItems);
      return { users: options.seedUsers, items: options.seedItems };
    },
    makeRequest:
      ({ users, items }) =>
      (i) => {
        const user = i % users;
        // Half the catalog away from the user's seeded enrollment, one item further per lap over the users.
        let item = (benchEnrolledItem(user, items) + Math.floor(items / 2) + Math.floor(i / users)) % items;
        if (!benchItemPublished(item)) item -= 1;
        return { userId: benchUserId(user), catalogItemId: benchItemId(item), requestId: randomUUID() };
      },
  }),

  // Each call a lesson its user has not completed yet, in the item of the
  // user's seeded enrollment; the tenth lesson completes the enrollment.
  defineScenario<RecordLessonCompletionRequest, Progress, { users: number; items: number }>({
    name: 'RecordLessonCompletion',
    method: EnrollmentServiceService.recordLessonCompletion,
    setup: async ({ sql, options }) => {
      await ensureBenchUsers(sql, options.seedUsers);
      await ensureBenchItems(sql, options.seedItems);
      await ensureBenchEnrollments(sql, options.seedUsers, options.seedItems);
      return { users: options.seedUsers, items: options.seedItems };
    },
    makeRequest:
      ({ users, items }) =>
      (i) => {
        const user = i % users;
        const position = 1 + (Math.floor(i / users) % BENCH_LESSONS_PER_ITEM);
        return { userId: benchUserId(user), lessonId: benchLessonId(benchEnrolledItem(user, items), position) };
      },
  }),
];

/** GetCatalogItem of published items, Zipf-distributed over the seeded catalog. */
function getCatalogItem(name: string, env?: Record<string, string>): Scenario {
  return defineScenario<GetCatalogItemRequest, CatalogItem, { items: number }>({
    name,
    method: CatalogServiceService.getCatalogItem,
    ...(env && { env }),
    setup: async ({ sql, options, call }) => {
      await ensureBenchItems(sql, options.seedItems);
      // Every published item read once (the cold start of a fresh key prefix is not what this measures).
      const published = Array.from({ length: options.seedItems }, (_, i) => i).filter(benchItemPublished);
      for (let from = 0; from < published.length; from += WARM_BATCH) {
        await call(CatalogServiceService.batchGetCatalogItems, { ids: published.slice(from, from + WARM_BATCH).map(benchItemId) });
      }
      return { items: options.seedItems };
    },
    makeRequest: ({ items }, random) => {
      const next = zipfSampler(items, ZIPF_S, random);
      return () => {
        let item = next();
        if (!benchItemPublished(item)) item = item > 0 ? item - 1 : item + 1;
        return { id: benchItemId(item) };
      };
    },
  });
}

function listRequest(pageToken: string): ListCatalogItemsRequest {
  return { pageSize: LIST_PAGE_SIZE, pageToken, published: true, instructorId: '', orderBy: '' };
}
