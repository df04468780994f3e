import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CatalogServiceClient } from '../../generated/campus/catalog/v1/catalog.js';
import { AuthServiceClient } from '../../generated/campus/identity/v1/auth.js';
import { Role, UserServiceClient } from '../../generated/campus/identity/v1/user.js';
import { replicaMetrics } from '../../src/metrics/replica-metrics.js';
import { createCatalogItem } from '../support/builders.js';
import { call, connect, failure } from '../support/grpc.js';
import { binary, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { type TestServer, useTestServer } from '../support/test-server.js';
import { asSent, dashboardQueries, metricNames, RULES_FILE, rules, scrapedNames } from './ops-files.js';

const PROMTOOL = binary('promtool');
const PROMETHEUS = binary('prometheus');
if (!PROMTOOL || !PROMETHEUS) {
  const absent = [PROMTOOL ? '' : 'promtool', PROMETHEUS ? '' : 'prometheus'].filter(Boolean).join(' and ');
  console.warn(`skipping the ops checks that need ${absent}: not on the PATH (Debian: apt-get install prometheus)`);
}

let server: TestServer;
let prometheus: RunningPrometheus | undefined;

useTestServer({ env: { STORAGE_STATS_INTERVAL_MS: '1000' } }, async (s, scope) => {
  server = s;
  scope.onClose(async () => {
    await prometheus?.stop();
  });
  await exercise();
});

/** What a quiet hour of real use does: reads that hit and miss the cache, a write, a NOT_FOUND, sign-ins that work and fail. */
async function exercise(): Promise<void> {
  const users = connect(UserServiceClient, server.port);
  const catalog = connect(CatalogServiceClient, server.port);
  const auth = connect(AuthServiceClient, server.port);
  try {
    const email = `ops-${Date.now()}@example.test`;
    const user = await call(users.createUser, users, {
      user: { id: '', name: 'Ada Lovelace', email, role: Role.ROLE_STUDENT, etag: '' },
      password: 'correct horse battery',
    });
    await call(users.getUser, users, { id: user.id });
    await call(users.getUser, users, { id: user.id });
    const item = await createCatalogItem(catalog, {
      title: 'Metrics 101',
      description: 'Counters and rates',
      price: { currencyCode: 'EUR', amountMinor: 100n },
      published: true,
    });
    await call(catalog.getCatalogItem, catalog, { id: item.id });
    await call(catalog.getCatalogItem, catalog, { id: item.id });
    const missing = await failure(call(users.getUser, users, { id: '01900000-0000-7000-8000-000000000000' }));
    expect(missing.code).toBe(status.NOT_FOUND);
    await call(auth.login, auth, { email, password: 'correct horse battery' });
    const wrong = await failure(call(auth.login, auth, { email, password: 'not the password' }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
  } finally {
    users.close();
    catalog.close();
    auth.close();
  }
}

async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
}

const allRules = rules();
const recorded = new Set(allRules.rules.filter((r) => r.kind === 'record').map((r) => r.name));

describe('ops/: the dashboard and the Prometheus rules against what the service exposes', () => {
  it('when the rules file is read, then every rule expression is found', () => {
    expect(allRules.rules.length).toBe(allRules.expressionCount);
    expect(recorded.size).toBeGreaterThan(0);
  });

  it('when the service has been used, then every metric a panel or a rule selects is scraped or recorded by a rule', async () => {
    const names = scrapedNames(await scrape());
    // Replica metrics exist only where read replicas are configured (test/fleet scrapes them there).
    const replicaRegistry = new Registry();
    replicaMetrics(replicaRegistry, () => []);
    for (const metric of await replicaRegistry.getMetricsAsJSON()) names.add(metric.name);
    const missing = [
      ...dashboardQueries().map((q) => ({ where: `panel "${q.panel}"`, expr: q.expr })),
      ...allRules.rules.map((r) => ({ where: `rule ${r.name}`, expr: r.expr })),
    ].flatMap(({ where, expr }) =>
      metricNames(expr).flatMap((name) => (names.has(name) || recorded.has(name) ? [] : [`${where}: ${name}`])),
    );
    expect(missing).toEqual([]);
  });

  it('when the dashboard uses the recording rules, then its error, latency and cache panels read them', () => {
    const used = new Set(dashboardQueries().flatMap((q) => metricNames(q.expr)));
    expect([...recorded].filter((name) => !used.has(name))).toEqual([]);
    expect(used).toContain('campus_auth_events_total');
  });

  it.skipIf(!PROMTOOL)('when promtool reads the rules and every dashboard query, then all parse', async () => {
    execFileSync(PROMTOOL ?? 'promtool', ['check', 'rules', RULES_FILE.pathname], { stdio: 'pipe' });
    const dir = await mkdtemp(path.join(tmpdir(), 'campus-dashboard-'));
    try {
      const file = path.join(dir, 'dashboard.yml');
      const records = dashboardQueries().map(
        (q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(asSent(q.expr, '5m'))}`,
      );
      await writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${records.join('\n')}\n`);
      const out = execFileSync(PROMTOOL ?? 'promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toContain(`${records.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!PROMTOOL)(
    'when promtool runs the rule fixtures (ops/prometheus/tests), then every expected sample and alert matches',
    async () => {
      const dir = new URL('../../ops/prometheus/tests/', import.meta.url);
      const fixtures = (await readdir(dir)).filter((f) => f.endsWith('.yml')).map((f) => new URL(f, dir).pathname);
      expect(fixtures.length).toBeGreaterThan(0);
      const out = execFileSync(PROMTOOL ?? 'promtool', ['test', 'rules', ...fixtures], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toContain('SUCCESS');
    },
  );

  it.skipIf(!PROMETHEUS)(
    'when a real Prometheus scrapes the service with the rules loaded, then every panel query and every recorded series has a value',
    async () => {
      prometheus = await startPrometheus(PROMETHEUS ?? 'prometheus', server.app.metricsPort, await readFile(RULES_FILE, 'utf8'));
      const p = prometheus;
      // Enough scrapes for a rate, and a rule evaluation after them.
      for (let i = 0; i < 300; i++) {
        const scrapes = await p.query('count_over_time(up[1m])');
        const rule = await p.query('campus_data:grpc_requests:rate5m');
        if ((scrapes[0]?.value ?? 0) >= 4 && rule.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const empty: string[] = [];
      for (const q of dashboardQueries()) {
        if ((await p.query(asSent(q.expr, '15s'))).length === 0) empty.push(`panel "${q.panel}": ${q.expr}`);
      }
      for (const name of recorded) if ((await p.query(name)).length === 0) empty.push(`rule ${name}`);
      expect(empty).toEqual([]);
      // All is well: no call failed in a way that pages, no cache error.
      expect((await p.query('campus_data:grpc_errors:ratio_rate5m')).map((s) => s.value)).toEqual([0]);
      expect((await p.query('sum(campus_data:cache_errors:rate5m)')).map((s) => s.value)).toEqual([0]);
      for (const alert of allRules.rules.filter((r) => r.kind === 'alert')) await p.query(alert.expr);
    },
    60_000,
  );
});
