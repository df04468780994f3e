import type { Server as HttpServer } from 'node:http';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { AuthServiceService } from '../generated/campus/identity/v1/auth.js';
import { UserServiceService } from '../generated/campus/identity/v1/user.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createAuthorizer } from './auth/authorizer.js';
import { createUserRule } from './auth/create-user-rule.js';
import { LoginThrottle } from './auth/login-throttle.js';
import type { Config } from './config.js';
import { runInRequestScope } from './db/request-scope.js';
import { authHandlers } from './identity/auth.handler.js';
import { AuthService } from './identity/auth.service.js';
import { ensureBootstrapAdmin } from './identity/bootstrap-admin.js';
import { argon2idHasher, type PasswordHasher } from './identity/password-hasher.js';
import { SessionStore } from './identity/session-store.js';
import { userHandlers } from './identity/user.handler.js';
import { UserService } from './identity/user.service.js';
import { createLogger, type Logger } from './logger.js';
import { authEvents } from './metrics/auth-metrics.js';
import { GrpcMetrics } from './metrics/grpc-metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { createRegistry } from './metrics/registry.js';
import { CallerLimits } from './server/caller-limits.js';
import { bind, createGrpcServer, shutdown } from './server/grpc-server.js';
import { Health } from './server/health.js';
import { observeCalls } from './server/observe.js';
import { addReflection } from './server/reflection.js';
import { serverCredentials } from './server/server-credentials.js';
import { createUnary } from './server/unary.js';
import { openStores, type Stores } from './stores.js';

/** Parts a test (or another entry point) may supply instead of the defaults. */
export interface AppOverrides {
  readonly log?: Logger;
  readonly stores?: Stores;
  readonly passwordHasher?: PasswordHasher;
}

export interface App {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly stores: Stores;
  readonly health: Health;
  readonly registry: Registry;
  readonly log: Logger;
  readonly sessions: SessionStore;
  /** Health NOT_SERVING, drain calls (bounded), stop metrics, close stores. */
  shutdown(): Promise<void>;
}

/**
 * The composition root: config -> stores -> services -> server. `main.ts` and
 * the tests build the same graph through here.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.logLevel);
  // Before any store opens: bad TLS files stop the start with one line.
  const credentials = serverCredentials(config.tls, log);
  const stores = overrides.stores ?? (await openStores(config, log));
  const registry = createRegistry();
  const server = createGrpcServer({
    maxMessageBytes: config.maxMessageBytes,
    interceptors: [observeCalls(new GrpcMetrics(registry), log)],
  });
  const passwords = overrides.passwordHasher ?? argon2idHasher();
  const countAuth = authEvents(registry);
  const sessions = new SessionStore(
    stores.pg.em,
    stores.cache,
    { idleTtlMs: config.sessionIdleTtlMs, maxTtlMs: config.sessionMaxTtlMs },
    log,
  );
  const throttle = new LoginThrottle(
    stores.cache,
    { maxPerEmail: config.loginMaxFailuresPerEmail, maxPerPeer: config.loginMaxFailuresPerPeer, windowMs: config.loginFailureWindowMs },
    log,
    () => countAuth('login_limits_local'),
  );
  const unary = createUnary(log, {
    authenticate: createAuthenticator(config.serviceTokens, sessions),
    authorize: createAuthorizer({ '/campus.identity.v1.UserService/CreateUser': createUserRule(config.allowSignup) }),
    limits: new CallerLimits(config.maxConcurrentCallsPerCaller),
  });

  const users = new UserService(stores.pg.em, passwords);
  const auth = new AuthService(stores.pg.em, passwords, sessions, throttle, log, countAuth);
  const services: [ServiceDefinition, object][] = [
    [UserServiceService, userHandlers(unary, users)],
    [AuthServiceService, authHandlers(unary, auth)],
  ];
  for (const [definition, handlers] of services) server.addService(definition, handlers as never);
  addReflection(server);

  const health = new Health(
    services.map(([definition]) => serviceName(definition)),
    [
      { name: 'postgres', check: () => stores.pg.isConnected() },
      { name: 'mongodb', check: () => stores.mongo.isConnected() },
    ],
    log,
  );
  health.addToServer(server);

  let metricsServer: HttpServer | undefined;
  try {
    const admin = config.bootstrapAdmin;
    if (admin) await runInRequestScope(undefined, () => ensureBootstrapAdmin(users, admin, log));
    const grpcPort = await bind(server, config.grpcHost, config.grpcPort, credentials);
    metricsServer = await startMetricsServer(registry, config.metricsPort, config.grpcHost);
    const address = metricsServer.address();
    const metricsPort = typeof address === 'object' && address ? address.port : config.metricsPort;
    await health.start();
    log.info({ grpcPort, metricsPort, health: health.status }, 'campus-data serving');
    return {
      grpcPort,
      metricsPort,
      stores,
      health,
      registry,
      log,
      sessions,
      shutdown: async () => {
        health.enterShutdown();
        const how = await shutdown(server, config.shutdownGraceMs);
        sessions.close();
        await new Promise((resolve) => metricsServer?.close(resolve));
        if (!overrides.stores) await stores.close();
        log.info({ how }, 'campus-data stopped');
      },
    };
  } catch (err) {
    sessions.close();
    server.forceShutdown();
    metricsServer?.close();
    if (!overrides.stores) await stores.close();
    throw err;
  }
}

/** `campus.identity.v1.UserService` from a generated service definition. */
function serviceName(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  return first ? (first.path.split('/')[1] ?? '') : '';
}
