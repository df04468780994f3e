import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TEST_KEYS } from '../support/field-keys.js';

describe('loadConfig', () => {
  it('when nothing is set, then the documented defaults apply and stores are embedded', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      grpcPort: 50051,
      metricsPort: 9464,
      databaseUrl: undefined,
      mongoUrl: undefined,
      redisUrl: undefined,
      logLevel: 'info',
    });
  });

  it.each([
    ['GRPC_PORT', 'http', /GRPC_PORT/],
    ['METRICS_PORT', '70000', /METRICS_PORT/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL must start with postgres:/],
    ['MONGO_URL', 'not a url', /MONGO_URL is not a valid URL/],
    ['REDIS_URL', 'http://localhost', /REDIS_URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" must be one of/],
  ])('when %s=%s, then one line names the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('when a URL holds a password, then the error does not repeat it', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow(/^(?!.*hunter2)/);
  });

  it('when nothing is set, then sessions last 24 h idle and 30 days at most, sign-up is open and nothing is TLS', () => {
    expect(loadConfig({})).toMatchObject({
      sessionIdleTtlMs: 86_400_000,
      sessionMaxTtlMs: 30 * 86_400_000,
      serviceTokens: [],
      bootstrapAdmin: undefined,
      allowSignup: true,
      maxConcurrentCallsPerCaller: 64,
      tls: undefined,
    });
  });

  it('when SERVICE_TOKENS is valid, then each service has its hash and methods', () => {
    const sha256 = 'AB'.repeat(32);
    const config = loadConfig({
      SERVICE_TOKENS: JSON.stringify([{ name: 'billing-worker', sha256, methods: ['campus.billing.v1.PaymentService/*'] }]),
    });
    expect(config.serviceTokens).toEqual([
      { name: 'billing-worker', sha256: sha256.toLowerCase(), methods: ['campus.billing.v1.PaymentService/*'] },
    ]);
  });

  const token = (entry: object) => JSON.stringify([{ name: 'svc', sha256: 'a'.repeat(64), methods: ['*'], ...entry }]);
  it.each([
    ['SERVICE_TOKENS', 'not json', /SERVICE_TOKENS is not valid JSON/],
    ['SERVICE_TOKENS', '{}', /SERVICE_TOKENS must be a JSON array/],
    ['SERVICE_TOKENS', token({ name: 'Bad Name' }), /SERVICE_TOKENS\[0\]\.name/],
    ['SERVICE_TOKENS', token({ sha256: 'plain-token-not-a-hash' }), /SERVICE_TOKENS\[0\]\.sha256 must be/],
    ['SERVICE_TOKENS', token({ methods: ['GetUser'] }), /SERVICE_TOKENS\[0\]\.methods/],
    ['SESSION_MAX_TTL_MS', '5000', /SESSION_MAX_TTL_MS must not be less than SESSION_IDLE_TTL_MS/],
    ['ALLOW_SIGNUP', 'maybe', /ALLOW_SIGNUP="maybe" must be true or false/],
    ['TLS_CERT_FILE', '/x.crt', /TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
    ['TLS_CLIENT_CA_FILE', '/ca.crt', /TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE/],
    ['BOOTSTRAP_ADMIN_EMAIL', 'root@example.test', /must be set together/],
    ['MAX_CONCURRENT_CALLS_PER_CALLER', '0', /MAX_CONCURRENT_CALLS_PER_CALLER/],
  ])('when %s=%s, then one line names the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('when SERVICE_TOKENS gives two services one token, then it is refused', () => {
    const entry = { sha256: 'a'.repeat(64), methods: ['*'] };
    const value = JSON.stringify([
      { name: 'one', ...entry },
      { name: 'two', ...entry },
    ]);
    expect(() => loadConfig({ SERVICE_TOKENS: value })).toThrow(/two services the same token/);
  });

  it('when the bootstrap password is too short, then the error does not repeat it', () => {
    const env = { BOOTSTRAP_ADMIN_EMAIL: 'root@example.test', BOOTSTRAP_ADMIN_PASSWORD: 'hunter2' };
    expect(() => loadConfig(env)).toThrow(/^BOOTSTRAP_ADMIN_PASSWORD must have 12 to 1024 characters$/);
  });

  it('when REDIS_CLUSTER_NODES and a NAT map are set, then the cluster is named by its seeds and the map', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001',
      REDIS_CLUSTER_NAT_MAP: '10.0.0.1:7000=203.0.113.9:17000,10.0.0.2:7001=203.0.113.9:17001',
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisCluster).toEqual({
      nodes: [
        { host: 'redis-a', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      natMap: { '10.0.0.1:7000': { host: '203.0.113.9', port: 17000 }, '10.0.0.2:7001': { host: '203.0.113.9', port: 17001 } },
      failoverWaitMs: 5_000,
    });
  });

  it.each([
    [{ REDIS_URL: 'redis://x:6379', REDIS_CLUSTER_NODES: 'x:7000' }, /not both/],
    [{ REDIS_CLUSTER_NODES: 'x:7000,x' }, /^REDIS_CLUSTER_NODES\[1\] must be host:port$/],
    [{ REDIS_CLUSTER_NAT_MAP: 'a:1=b:2' }, /REDIS_CLUSTER_NAT_MAP needs REDIS_CLUSTER_NODES/],
    [{ REDIS_CLUSTER_NODES: 'x:7000', REDIS_CLUSTER_NAT_MAP: 'a:1' }, /^REDIS_CLUSTER_NAT_MAP\[0\] must be/],
    [{ REDIS_CLUSTER_NODES: 'x:7000', REDIS_KEY_PREFIX: '{campus}:' }, /REDIS_KEY_PREFIX must not contain/],
  ])('when the Redis Cluster settings are %o, then one line says what is wrong', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('when NODE_ENV=production keeps the development PAGE_TOKEN_SECRET, then the start is refused with one line naming it', () => {
    const production = {
      NODE_ENV: 'production',
      ENCRYPTION_KEYS: TEST_KEYS.a,
      BLIND_INDEX_KEY: TEST_KEYS.blindIndex,
      ASSET_URL_KEYS: 'k1:aaaaaaaaaaaaaaaaaaaa',
    };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/^PAGE_TOKEN_SECRET is required when NODE_ENV=production/);
    expect(() => loadConfig({ ...production, PAGE_TOKEN_SECRET: 'campus-data-development-page-tokens' })).toThrow(/PAGE_TOKEN_SECRET/);
    expect(loadConfig({ ...production, PAGE_TOKEN_SECRET: 'a real secret of this deployment' }).pageTokenSecret).toBe(
      'a real secret of this deployment',
    );
    expect(loadConfig({}).pageTokenSecret).toBe('campus-data-development-page-tokens');
  });
});
