import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('read replica settings', () => {
  it('when nothing is set, then there are no replicas, the lag bound is 1 s and probes run every 250 ms', () => {
    expect(loadConfig({})).toMatchObject({ databaseReplicaUrls: [], databaseReplicaMaxLagMs: 1_000, databaseReplicaProbeIntervalMs: 250 });
  });

  it.each([
    ['DATABASE_REPLICA_MAX_LAG_MS', '-1'],
    ['DATABASE_REPLICA_PROBE_INTERVAL_MS', '5'],
    ['DATABASE_REPLICA_URLS', 'postgres://a/db,mysql://b/db'],
  ])('when %s=%s, then one line names the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
