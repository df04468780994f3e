import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { authEvents } from '../../src/metrics/auth-metrics.js';
import { CacheMetrics } from '../../src/metrics/cache-metrics.js';

function sample(body: string, name: string, ...parts: string[]): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && parts.every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('cache and auth metrics while nothing happens', () => {
  it('when a cache has had no reads for longer than the window, then cache_hit_ratio keeps the ratio of its last reads', async () => {
    const registry = new Registry();
    const recorder = new CacheMetrics(registry, 200, 50).forCache('probe');
    expect(sample(await registry.metrics(), 'cache_hit_ratio', 'cache="probe"')).toBeUndefined();
    recorder.hits(3);
    recorder.misses(1);
    expect(sample(await registry.metrics(), 'cache_hit_ratio', 'cache="probe"')).toBe(0.75);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sample(await registry.metrics(), 'cache_hit_ratio', 'cache="probe"')).toBe(0.75);
    recorder.misses(1);
    expect(sample(await registry.metrics(), 'cache_hit_ratio', 'cache="probe"')).toBe(0);
  });

  it('when a cache is made, then each of its counters is exported at 0 before anything is counted', async () => {
    const registry = new Registry();
    new CacheMetrics(registry).forCache('probe');
    const body = await registry.metrics();
    for (const operation of ['get', 'set', 'invalidate', 'replay', 'drop']) {
      expect(sample(body, 'cache_errors_total', 'cache="probe"', `operation="${operation}"`)).toBe(0);
    }
    expect(sample(body, 'cache_gets_total', 'cache="probe"', 'result="hit"')).toBe(0);
    expect(sample(body, 'cache_gets_total', 'cache="probe"', 'result="miss"')).toBe(0);
    expect(sample(body, 'cache_sets_total', 'cache="probe"')).toBe(0);
  });

  it('when nobody has signed in yet, then every auth event is exported at 0', async () => {
    const registry = new Registry();
    const count = authEvents(registry);
    let body = await registry.metrics();
    for (const event of ['login_succeeded', 'login_failed', 'login_throttled', 'login_limits_local']) {
      expect(sample(body, 'campus_auth_events_total', `event="${event}"`)).toBe(0);
    }
    count('login_failed');
    body = await registry.metrics();
    expect(sample(body, 'campus_auth_events_total', 'event="login_failed"')).toBe(1);
  });
});
