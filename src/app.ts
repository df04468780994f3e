import type { Server as HttpServer } from 'node:http';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { analyticsModule } from './analytics/analytics.module.js';
import type { EventRecorder } from './analytics/event-recorder.js';
import type { RollupJob } from './analytics/rollup-job.js';
import { type AssetModuleInstance, assetModule } from './asset/asset.module.js';
import type { PurgeHook } from './asset/purge-hook.js';
import { auditModule } from './audit/audit.module.js';
import { storeAccessLookups } from './auth/access-lookups.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createAuthorizer } from './auth/authorizer.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { ruleTableOf } from './auth/rules.js';
import { billingReads } from './billing/billing.js';
import { billingModule } from './billing/billing.module.js';
import { localPaymentProvider } from './billing/local-payment-provider.js';
import type { PaymentProvider } from './billing/payment-provider.js';
import type { PaymentReconciler } from './billing/payment-reconciler.js';
import { Cache } from './cache/cache.js';
import { catalogReads } from './catalog/catalog.js';
import { catalogModule } from './catalog/catalog.module.js';
import { CatalogItemCache } from './catalog/catalog-item.cache.js';
import type { Config } from './config.js';
import { fieldCryptoOf } from './crypto/field-crypto.js';
import { postgresPools } from './db/postgres.js';
import { runInRequestScope } from './db/request-scope.js';
import type { ModuleContext } from './domain-module.js';
import { enrollmentReads } from './enrollment/enrollment.js';
import { enrollmentModule } from './enrollment/enrollment.module.js';
import { paidEnrollments } from './enrollment/paid-enrollments.js';
import { ProgressCache } from './enrollment/progress.cache.js';
import { DomainEvents } from './events/domain-events.js';
import { forumReads } from './forum/forum.js';
import { forumModule } from './forum/forum.module.js';
import { ensureBootstrapAdmin } from './identity/bootstrap-admin.js';
import { identityModule } from './identity/identity.module.js';
import { argon2idHasher, type PasswordHasher } from './identity/password-hasher.js';
import { SessionStore } from './identity/session-store.js';
import { PeriodicJob } from './jobs/periodic-job.js';
import { createLogger, type Logger } from './logger.js';
import { authEvents } from './metrics/auth-metrics.js';
import { CacheMetrics } from './metrics/cache-metrics.js';
import { DbMetrics } from './metrics/db-metrics.js';
import { GrpcMetrics } from './metrics/grpc-metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { instrumentMongo } from './metrics/mongo-instrumentation.js';
import { poolMetrics } from './metrics/pool-metrics.js';
import { instrumentPostgres } from './metrics/postgres-instrumentation.js';
import { createRegistry } from './metrics/registry.js';
import { mongoCollectionStats, postgresTableStats, StorageStats } from './metrics/storage-stats.js';
import { MODULES } from './modules.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { PageTokens } from './pagination/page-token.js';
import { CallerLimits } from './server/caller-limits.js';
import { Drain, drainCalls } from './server/drain.js';
import { bind, createGrpcServer, shutdown } from './server/grpc-server.js';
import { Health } from './server/health.js';
import { CallObserver, observeCalls } from './server/observe.js';
import { addReflection } from './server/reflection.js';
import { readRouting } from './server/replica-reads.js';
import { requestDescriptors, withRequestChecks } from './server/request-checks.js';
import { serverCredentials } from './server/server-credentials.js';
import { withSharedResponses } from './server/shared-responses.js';
import { createUnary } from './server/unary.js';
import { openStores, STORE_CLOSE_MS, type Stores } from './stores.js';
import { within } from './within.js';

/**
 * How long stopping the jobs, the metrics server and the rest may take at
 * shutdown, once the calls are drained; the stores then get STORE_CLOSE_MS.
 */
export const SHUTDOWN_STEPS_MS = 1_000;

/**
 * How long past SHUTDOWN_GRACE_MS a shutdown may run before main.ts exits
 * regardless: the steps, the stores, and a second for embedded servers.
 */
export const SHUTDOWN_MARGIN_MS = SHUTDOWN_STEPS_MS + STORE_CLOSE_MS + 1_000;

/** Parts a test (or another entry point) may supply instead of the defaults. */
export interface AppOverrides {
  readonly log?: Logger;
  readonly stores?: Stores;
  readonly passwordHasher?: PasswordHasher;
  /** Where enrollments are charged and refunded; the built-in local provider by default. */
  readonly paymentProvider?: PaymentProvider;
  /** Where deleted assets' URLs go for a CDN purge; ASSET_PURGE_URL's hook by default. */
  readonly assetPurge?: PurgeHook;
}

export interface App {
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly stores: Stores;
  /** The cache-aside layer over `stores.cache`; services get their CachedResources from it. */
  readonly cache: Cache;
  readonly health: Health;
  readonly registry: Registry;
  readonly log: Logger;
  /**
   * `recorder.record(...)`: best-effort analytics for what follows no stored
   * fact (events that follow one go through the outbox, see `outbox`);
   * `rollups` is the periodic daily-rollup job.
   */
  readonly analytics: { readonly recorder: EventRecorder; readonly rollups: RollupJob };
  readonly sessions: SessionStore;
  /** Settles payment attempts left open (periodic, every PAYMENT_RECONCILE_INTERVAL_MS). */
  readonly payments: { readonly reconciler: PaymentReconciler };
  /** Relays outbox events to analytics (periodic, every OUTBOX_RELAY_INTERVAL_MS). */
  readonly outbox: { readonly relay: OutboxRelay };
  /** Course assets: their storage, CDN base and periodic job. */
  readonly assets: AssetModuleInstance;
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
  const registry = createRegistry();
  const stores = overrides.stores ?? (await openStores(config, log));
  const dbMetrics = new DbMetrics(registry);
  const uninstrument = [await instrumentPostgres(stores.pg, dbMetrics), instrumentMongo(stores.mongo, dbMetrics)];
  poolMetrics(registry, await postgresPools(stores.pg));
  const cache = new Cache(stores.cache, {
    ttlMs: config.cacheTtlMs,
    negativeTtlMs: config.cacheNegativeTtlMs,
    enabled: config.cacheEnabled,
    nearTtlMs: config.cacheNearTtlMs,
    nearPushedTtlMs: config.cacheNearPushedTtlMs,
    metrics: new CacheMetrics(registry),
    log,
  });
  const storageStats = new StorageStats(
    registry,
    { postgresql: () => postgresTableStats(stores.pg), mongodb: () => mongoCollectionStats(stores.mongo) },
    log,
  );
  const observer = new CallObserver(new GrpcMetrics(registry), log);
  const drain = new Drain();
  const ours = (path: string) => path.startsWith('/campus.');
  const server = createGrpcServer({
    maxMessageBytes: config.maxMessageBytes,
    // Our unary RPCs are observed and drained by the unary adapter; the interceptors cover the rest (health, reflection).
    // The drain is the outer one, so that the calls it refuses are observed too.
    interceptors: [observeCalls(observer, ours), drainCalls(drain, ours)],
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
    {
      maxPerEmail: config.loginMaxFailuresPerEmail,
      maxPerPeer: config.loginMaxFailuresPerPeer,
      windowMs: config.loginFailureWindowMs,
      sharedRetryMs: config.redisCluster?.failoverWaitMs ?? 0,
    },
    log,
    () => countAuth('login_limits_local'),
  );
  const rules = ruleTableOf(MODULES, { allowSignup: config.allowSignup });
  const reads = readRouting(config, stores.pg, registry, log);
  // Hot reads, one cache per resource; each service invalidates what it wrote after its commit.
  const itemCache = new CatalogItemCache(cache, stores.pg.em);
  const unary = createUnary(
    log,
    {
      authenticate: createAuthenticator(config.serviceTokens, sessions),
      authorize: createAuthorizer(
        rules,
        storeAccessLookups({
          catalog: catalogReads(stores.pg.em),
          enrollments: enrollmentReads(stores.pg.em),
          payments: billingReads(stores.pg.em),
          forum: forumReads(stores.mongo.em),
          item: (id) => itemCache.get(id),
        }),
      ),
      limits: new CallerLimits(config.maxConcurrentCallsPerCaller),
      routeReads: reads.route,
      drain,
    },
    observer,
  );

  const pageTokens = new PageTokens(config.pageTokenSecret);
  const paymentProvider = overrides.paymentProvider ?? localPaymentProvider();

  // What a domain announces after a commit (catalog.lessons_changed), for the caches of another that listen.
  const events = new DomainEvents();
  const progressCache = new ProgressCache(cache, stores.pg.em, events);

  // What every module's start takes; each adds what it alone needs.
  const shared: ModuleContext = { em: stores.pg.em, tokens: pageTokens, unary, registry, log };
  const rollupSettings = {
    intervalMs: config.analyticsRollupIntervalMs,
    lookbackDays: config.analyticsRollupLookbackDays,
    eventTtlDays: config.analyticsEventTtlDays,
  };
  const analytics = analyticsModule.start({
    ...shared,
    mongo: stores.mongo.em,
    eventTtlDays: config.analyticsEventTtlDays,
    rollups: rollupSettings,
  });
  const { recorder, rollups } = analytics;
  const keyRing = fieldCryptoOf(stores.pg.config).keyRing;
  const identity = identityModule.start({ ...shared, cache, keyRing, passwords, sessions, throttle, countAuth });
  const catalog = catalogModule.start({ ...shared, cache, items: itemCache, events });
  const refundPolicy = { windowDays: config.refundWindowDays, maxCompletionPercent: config.refundMaxCompletionPercent };
  // Billing's refunds cancel enrollments (PaidEnrollments, the enrollment domain's); enrollments charge through billing.
  const billing = billingModule.start({
    ...shared,
    provider: paymentProvider,
    refundPolicy,
    enrollments: paidEnrollments(progressCache),
    reconcileAfterMs: config.paymentReconcileAfterMs,
  });
  const enrollment = enrollmentModule.start({ ...shared, billing: billing.billing, progress: progressCache });
  const { reconciler } = billing;
  const audit = auditModule.start(shared);
  const outboxRelay = new OutboxRelay(stores.pg.em, stores.mongo.em, analytics.ingest, log, registry);
  // Settle money left open and relay the outbox, each on its own schedule.
  const moneyAndEventJobs = [
    new PeriodicJob('payment reconciliation', config.paymentReconcileIntervalMs, () => reconciler.run(), log),
    new PeriodicJob('outbox relay', config.outboxRelayIntervalMs, () => outboxRelay.run(), log),
  ];
  const forum = forumModule.start({ ...shared, mongo: stores.mongo.em });
  const assets = await assetModule.start({
    ...shared,
    settings: config.assets,
    dataDir: config.dataDir,
    items: itemCache,
    purge: overrides.assetPurge,
  });
  const services: [ServiceDefinition, object][] = [
    ...identity.services,
    ...catalog.services,
    ...enrollment.services,
    ...billing.services,
    [auditModule.definitions[0], audit.handlers],
    [forumModule.definitions[0], forum.handlers],
    ...analytics.services,
    [assetModule.definitions[0], assets.handlers],
  ];
  const unserved = MODULES.flatMap((module) => module.definitions).filter(
    (definition) => !services.some(([served]) => served === definition),
  );
  if (unserved.length > 0) throw new Error(`services of a module not served: ${unserved.map(serviceName).join(', ')}`);
  const inputs = requestDescriptors();
  for (const [definition, handlers] of services)
    server.addService(withSharedResponses(withRequestChecks(definition, inputs)), handlers as never);
  const unruled = services.flatMap(([definition]) => Object.values(definition).map((m) => m.path)).filter((path) => !rules[path]);
  if (unruled.length > 0) log.warn({ methods: unruled }, 'methods without an authorization rule are refused to every caller');
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
    if (admin) await runInRequestScope(undefined, () => ensureBootstrapAdmin(identity.users, admin, log));
    const grpcPort = await bind(server, config.grpcHost, config.grpcPort, credentials);
    metricsServer = await startMetricsServer(registry, config.metricsPort, config.grpcHost);
    const address = metricsServer.address();
    const metricsPort = typeof address === 'object' && address ? address.port : config.metricsPort;
    await health.start();
    await reads.start(health);
    storageStats.start(config.storageStatsIntervalMs);
    rollups.start();
    for (const job of moneyAndEventJobs) job.start();
    log.info({ grpcPort, metricsPort, health: health.status }, 'campus-data serving');
    return {
      grpcPort,
      metricsPort,
      stores,
      cache,
      health,
      registry,
      log,
      analytics: { recorder, rollups },
      sessions,
      payments: { reconciler },
      outbox: { relay: outboxRelay },
      assets,
      shutdown: async () => {
        health.enterShutdown();
        log.info({ graceMs: config.shutdownGraceMs }, 'draining: health NOT_SERVING, new calls refused');
        const how = await shutdown(server, drain, config.shutdownGraceMs);
        // A store that does not answer can hold a job or a stats query; none of them may hold the exit.
        const stepsBy = Date.now() + SHUTDOWN_STEPS_MS;
        const late: string[] = [];
        const step = async (name: string, work: () => Promise<unknown>) => {
          if (!(await within(work(), stepsBy - Date.now()))) late.push(name);
        };
        await step('jobs', async () => {
          await rollups.stop();
          await Promise.all(moneyAndEventJobs.map((job) => job.stop()));
        });
        await step('analytics', () => recorder.drain());
        await step('assets', () => assets.stop());
        sessions.close();
        reads.close();
        await step('metrics server', () => new Promise((resolve) => metricsServer?.close(resolve)));
        await step('storage stats', () => storageStats.stop());
        if (late.length > 0) log.warn({ late, waitedMs: SHUTDOWN_STEPS_MS }, 'not stopped in time: left to the exit');
        cache.close();
        for (const stop of uninstrument) stop();
        if (!overrides.stores) await stores.close();
        log.info({ how }, 'campus-data stopped');
      },
    };
  } catch (err) {
    await assets.stop();
    sessions.close();
    reads.close();
    server.forceShutdown();
    metricsServer?.close();
    await storageStats.stop();
    cache.close();
    for (const stop of uninstrument) stop();
    if (!overrides.stores) await stores.close();
    throw err;
  }
}

/** `campus.identity.v1.UserService` from a generated service definition. */
function serviceName(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  return first ? (first.path.split('/')[1] ?? '') : '';
}
