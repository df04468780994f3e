import { describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { EnrollmentServiceClient } from '../../generated/campus/enrollment/v1/enrollment.js';
import { UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { createCatalogItem, createLesson, createUser } from '../support/builders.js';
import { call } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let catalog: CatalogServiceClient;
let users: UserServiceClient;
let enrollments: EnrollmentServiceClient;

useTestServer({}, (s, scope) => {
  server = s;
  catalog = scope.connect(CatalogServiceClient);
  users = scope.connect(UserServiceClient);
  enrollments = scope.connect(EnrollmentServiceClient);
});

async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
}

function sample(body: string, name: string, ...parts: string[]): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && parts.every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('cache metrics', () => {
  it('when every cached read is made twice, then /metrics counts a miss and a hit for each cached resource', async () => {
    const item = await createCatalogItem(catalog, { title: 'Metered' });
    const lesson = await createLesson(catalog, item.id, { title: 'One' });
    await call(catalog.publishCatalogItem, catalog, { id: item.id });
    const learner = await createUser(users);
    await call(enrollments.enroll, enrollments, { userId: learner.id, catalogItemId: item.id, requestId: crypto.randomUUID() });
    expect(lesson.catalogItemId).toBe(item.id);

    for (let i = 0; i < 2; i++) {
      await call(catalog.getCatalogItem, catalog, { id: item.id });
      await call(catalog.listLessons, catalog, { catalogItemId: item.id, pageSize: 0, pageToken: '' });
      await call(users.getUser, users, { id: learner.id });
      await call(enrollments.getProgress, enrollments, { userId: learner.id, catalogItemId: item.id });
    }

    const body = await scrape();
    for (const cache of ['catalog_item', 'lessons', 'user', 'progress']) {
      expect(sample(body, 'cache_gets_total', `cache="${cache}"`, 'result="miss"'), `${cache} misses`).toBeGreaterThanOrEqual(1);
      expect(sample(body, 'cache_gets_total', `cache="${cache}"`, 'result="hit"'), `${cache} hits`).toBeGreaterThanOrEqual(1);
      expect(sample(body, 'cache_hit_ratio', `cache="${cache}"`), `${cache} hit ratio`).toBeGreaterThan(0);
    }
    // Created and published: two invalidations after two commits.
    expect(sample(body, 'cache_invalidations_total', 'cache="catalog_item"')).toBe(2);
  });
});
