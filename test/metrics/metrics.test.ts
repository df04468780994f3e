import { describe, expect, it } from 'vitest';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { call } from '../support/grpc.js';
import { type TestServer, useTestServer } from '../support/test-server.js';

let server: TestServer;
let client: UserServiceClient;

useTestServer({ env: { STORAGE_STATS_INTERVAL_MS: '1000' } }, (s, scope) => {
  server = s;
  client = scope.connect(UserServiceClient);
});

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
  return res.text();
}

/** The value of the first sample whose name and labels contain all of `parts`. */
function sample(body: string, name: string, ...parts: string[]): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && parts.every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics', () => {
  it('when users are written and read, then PostgreSQL statements are timed by operation and table, without ids', async () => {
    const created = await call(client.createUser, client, {
      user: { id: '', name: 'Grace Hopper', email: `grace${Date.now()}@example.test`, role: Role.ROLE_STUDENT, etag: '' },
      password: 'correct horse battery',
    });
    await call(client.getUser, client, { id: created.id });
    const body = await scrape();
    const count = (op: string) =>
      sample(body, 'db_client_operation_duration_seconds_count', 'db_system="postgresql"', `operation="${op}"`, 'collection="users"');
    expect(count('INSERT')).toBeGreaterThanOrEqual(1);
    expect(count('SELECT')).toBeGreaterThanOrEqual(2);
    expect(
      sample(body, 'db_client_operation_duration_seconds_count', 'db_system="postgresql"', 'operation="BEGIN"'),
    ).toBeGreaterThanOrEqual(1);
    expect(body).not.toContain(created.id);
  });

  it('when a MongoDB command runs, then it is timed by command and collection', async () => {
    const db = (server.app.stores.mongo.em.getConnection() as unknown as { getDb(): import('mongodb').Db }).getDb();
    await db.collection('metrics_probe').insertOne({ at: new Date() });
    await db.collection('metrics_probe').find({}).toArray();
    const body = await scrape();
    const count = (op: string) =>
      sample(body, 'db_client_operation_duration_seconds_count', 'db_system="mongodb"', `operation="${op}"`, 'collection="metrics_probe"');
    expect(count('insert')).toBe(1);
    expect(count('find')).toBe(1);
  });

  it('when the storage statistics are refreshed, then table and collection sizes and counts are gauges', async () => {
    let body = '';
    for (let i = 0; i < 40; i++) {
      body = await scrape();
      if (sample(body, 'db_table_rows', 'db_system="mongodb"', 'table="metrics_probe"') === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(sample(body, 'db_table_size_bytes', 'db_system="postgresql"', 'table="users"')).toBeGreaterThan(0);
    expect(sample(body, 'db_table_rows', 'db_system="postgresql"', 'table="users"')).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'db_table_rows', 'db_system="mongodb"', 'table="metrics_probe"')).toBe(1);
  });

  it('when a cached resource is read, then cache gets and the hit ratio are exported', async () => {
    const items = server.app.cache.resource<string, { id: string }>({
      name: 'metrics_probe',
      version: 1,
      load: async (ids) => new Map(ids.map((id) => [id, { id }])),
    });
    await items.get('a');
    await items.get('a');
    await items.get('a');
    const body = await scrape();
    expect(sample(body, 'cache_gets_total', 'cache="metrics_probe"', 'result="hit"')).toBe(2);
    expect(sample(body, 'cache_gets_total', 'cache="metrics_probe"', 'result="miss"')).toBe(1);
    expect(sample(body, 'cache_sets_total', 'cache="metrics_probe"')).toBe(1);
    expect(sample(body, 'cache_hit_ratio', 'cache="metrics_probe"')).toBeCloseTo(2 / 3);
  });
});
