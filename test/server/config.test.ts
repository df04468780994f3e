import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
});
