import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import { createAuditWriter } from './audit/audit-writer.js';
import { startAuditDelivery, type AuditDelivery } from './audit/delivery/audit-delivery.js';
import { createAuthFailureAudit } from './auth/auth-audit.js';
import authPlugin from './auth/auth.plugin.js';
import { createTokenVerifier } from './auth/verify-token.js';
import { isLoopbackHost, type Config } from './config.js';
import { openAppDatabase, type StartupStep } from './data/app-database.js';
import type { Db } from './data/database.js';
import type { FolderLock } from './data/folder-lock.js';
import type { SchemaPlan } from './model/schema-plan.js';
import { loadCursorKey } from './data/service-keys.js';
import { createListCursors } from './core/list-cursor.js';
import { startRetentionSchedule, type RetentionSchedule } from './core/retention-schedule.js';
import { graphqlPlugin } from './graphql/graphql.plugin.js';
import { loadPolicyFile, type Policy } from './policy/load-policy.js';
import { DEFAULT_POLICY_FILE } from './paths.js';
import drainPlugin from './plugins/drain.plugin.js';
import metricsPlugin from './plugins/metrics.plugin.js';
import { Metrics } from './metrics/registry.js';
import { watchDatabase } from './metrics/database-metrics.js';
import guardPlugin from './plugins/guard.plugin.js';
import securityPlugin from './plugins/security.plugin.js';
import { connectRedis, localWindowCounter, redisWindowCounter } from './plugins/window-counter.js';
import { PolicyStore } from './policy/policy-store.js';
import { accessReviewRoutes } from './rest/access-review.routes.js';
import { subjectRoutes } from './rest/subjects.routes.js';
import { subjectAccessRoutes } from './rest/subject-access.routes.js';
import { audienceRoutes } from './rest/audience.routes.js';
import { incidentRoutes } from './rest/incidents.routes.js';
import { inventoryRoutes } from './rest/inventory.routes.js';
import { retentionRoutes } from './rest/retention.routes.js';
import { auditReportRoutes } from './rest/audit-report.routes.js';
import { accessRequestRoutes } from './rest/access-requests.routes.js';
import { auditRoutes } from './rest/audit.routes.js';
import { auditVerifyRoutes } from './rest/audit-verify.routes.js';
import { policyRoutes } from './rest/policy.routes.js';
import { principalRoutes } from './rest/principals.routes.js';
import { startPrincipalStatus } from './auth/principal-status-source.js';
import { decisionsRoutes } from './rest/decisions.routes.js';
import { bookingRoutes } from './rest/bookings.routes.js';
import { documentRoutes } from './rest/documents.routes.js';
import { docsPlugin } from './rest/docs.plugin.js';
import { healthRoutes } from './rest/health.routes.js';
import { recordRoutes } from './rest/records.routes.js';
import { deleteCustomer } from './core/customer-delete.service.js';
import { generatedResources, resourcesWithOwnDoors } from './model/own-doors.js';
import { registerProblemHandlers } from './rest/problem.js';
import { modelRoutes } from './rest/model.routes.js';
import { consolePlugin } from './console/console.plugin.js';
import { rejectNul } from './core/no-nul.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** "METHOD /url" of every route, for the contract test and diagnostics. */
    registeredRoutes: readonly string[];
    /** The push of the trail to the SIEM sinks (AUDIT_SINKS): its lag per sink, for metrics. */
    auditDelivery: Pick<AuditDelivery, 'sinks' | 'deliveryLag' | 'delivering'>;
  }
}

export interface AppOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  /** A policy already compiled (tests); otherwise POLICY_FILE or the bundled default. */
  policy?: Policy;
  /** Pool size; defaults to DATABASE_POOL_MAX, or 1 on embedded PGlite, which serves one connection. */
  poolMax?: number;
  /** A database handle to use instead of opening DATABASE_URL (tests); closed with the app. */
  db?: Db;
  /** Sees the SQL text of every statement the app runs (tests prove refusals run none). */
  onStatement?: (sql: string) => void;
  /** The PGlite folder's lock, taken by the server before its port check; released on close. */
  folderLock?: FolderLock;
  /** Told each start-up step as it completes (database, migrations, demo data): the server prints them. */
  onProgress?: (step: StartupStep) => void;
  /** The clock access grants are judged by (tests move it); Date.now by default. */
  clock?: () => number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the service without listening: the server and the tests both start here. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const policyFile = options.policy ? null : (config.policyFile ?? DEFAULT_POLICY_FILE);
  const policy = options.policy ?? loadPolicyFile(policyFile!, config.policyHashKey);
  const logger: Logger = pino({ level: config.logLevel }, options.logStream);
  const onProgress = (step: StartupStep) => {
    if (step.step === 'model') logModelPlan(step.plan, logger);
    options.onProgress?.(step);
  };
  const { db, auditDb, listenUrl, openOwn, close } = await openAppDatabase(config, { ...options, onProgress, model: policy.model }, logger);
  const principalStatus = await startPrincipalStatus(db, listenUrl, config.principalStatusMaxStaleMs, config.database.connectTimeoutMs, logger);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request lines carry the raw URL; we write our own line instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Reuse a caller's correlation id when it is safe to log; otherwise mint one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // The router answers 414 past 100 characters by default: a `sub` in a path
    // (/v1/principals/{sub}) may be 256 characters, each up to 12 when percent-encoded.
    // Route schemas bound every parameter's decoded length; beyond them, 400.
    routerOptions: { maxParamLength: 3072 },
    // A request body (an upload) must arrive within a minute; a client trickling bytes
    // would otherwise hold its database transaction, and a pool connection, forever.
    requestTimeout: 60_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.addHook('onClose', principalStatus.stop);
  // Delivery reads the trail in the background once the app is ready, on connections of
  // its own; it stops before the database closes (an unacknowledged batch is sent again).
  let delivery: AuditDelivery | null = null;
  // Retention (RETENTION_INTERVAL, off by default) likewise, on a connection of its own.
  let retention: RetentionSchedule | null = null;
  app.addHook('onReady', async () => {
    delivery = startAuditDelivery({ config: config.auditDelivery, log: logger, openOwn, shared: db });
    const { intervalMs, batchSize } = config.retention;
    if (intervalMs !== null) retention = startRetentionSchedule({ policy, log: logger, intervalMs, batchSize, openOwn, shared: db, clock: options.clock ?? Date.now });
  });
  app.addHook('onClose', async () => {
    await Promise.all([delivery?.stop(), retention?.stop()]);
    await close();
  });
  app.decorate('auditDelivery', {
    get sinks() {
      return config.auditDelivery.sinks;
    },
    deliveryLag: () => delivery?.deliveryLag() ?? Promise.resolve({}),
    delivering: () => delivery?.delivering() ?? [],
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Responses carry personal data: no shared or browser cache may keep them.
    if (request.url.startsWith('/v1/') || request.url.startsWith('/graphql')) reply.header('cache-control', 'no-store');
  });
  // Before authentication and parsing: a request arriving during shutdown costs nothing.
  await app.register(drainPlugin);
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  app.decorate('registeredRoutes', routes);
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  // The one request log line: route template, never the URL with its query or ids.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        actor: request.principal?.sub ?? null,
      },
      'request',
    );
  });

  registerProblemHandlers(app);
  // Rate-limit counters: shared in Redis when configured (one client per app), so a
  // limit holds across instances; else each instance counts in its own memory.
  const redis = config.http.redisUrl ? connectRedis(config.http.redisUrl, logger, config.http.redisCommandTimeoutMs) : null;
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  const counter = redis ? redisWindowCounter(redis, config.http.redisKeyPrefix, logger) : localWindowCounter();
  // After the problem handlers, so its refusals are problem+json; it counts every answer,
  // refusals by draining, authentication or the rate limit included.
  const metrics = new Metrics();
  // Each scrape asks the trail how far every configured sink has got.
  if (config.auditDelivery.sinks.length > 0) {
    metrics.setDeliveryLagSource(() => app.auditDelivery.deliveryLag());
    metrics.setDeliveringSource(config.auditDelivery.sinks, () => app.auditDelivery.delivering());
  }
  watchDatabase(metrics, db, auditDb);
  await app.register(metricsPlugin, { metrics, token: config.metricsToken });
  await app.register(securityPlugin, { ...config.http, counter });
  const auditWriter = createAuditWriter(auditDb, logger, { groupCommit: config.auditGroupCommit, metrics });
  const policyStore = new PolicyStore(policyFile, config.policyHashKey, policy);
  await app.register(authPlugin, {
    verifyToken: createTokenVerifier(config.auth),
    principalStatus: principalStatus.store,
    onFailure: createAuthFailureAudit(auditWriter, () => policyStore.current.policy.version),
    // Refused credentials are audited, so they share the rate limit's bound, per address.
    failureLimit: { max: Math.min(config.http.rateLimitMax, 100), windowMs: config.http.rateLimitWindowMs, counter },
    onRefused: (reason) => metrics.authFailed(reason),
  });
  const cursors = createListCursors(() => loadCursorKey(db));
  cursors.preload();
  await app.register(guardPlugin, { db, policyStore, auditWriter, cursors, principalStatus: principalStatus.store, metrics, exportChunk: config.exportAuditChunk, ...(options.clock ? { clock: options.clock } : {}) });
  await app.register(healthRoutes, { principalStatus: principalStatus.store });
  await app.register(docsPlugin, { model: policy.model, production: config.nodeEnv === 'production' });
  await app.register(async (api) => {
    // Authenticate before anything is parsed: anonymous callers get 401, not our parsers.
    api.addHook('onRequest', api.authenticate);
    api.addHook('preValidation', rejectNul);
    const ownDoors = resourcesWithOwnDoors(policy.model);
    const maxFileBytes = config.documentMaxBytes;
    // Customers are served by the generated door; only their delete is their own: it takes
    // the customer's bookings and documents with it, each audited.
    if (ownDoors.has('Customer')) await api.register(recordRoutes, { resource: policy.model.resources.get('Customer')!, maxFileBytes, remove: deleteCustomer });
    if (ownDoors.has('Booking')) await api.register(bookingRoutes);
    if (ownDoors.has('Document')) await api.register(documentRoutes, { maxBytes: config.documentMaxBytes });
    // Every other stored resource of the model gets the generated door.
    for (const resource of generatedResources(policy.model)) await api.register(recordRoutes, { resource, maxFileBytes });
    await api.register(accessRequestRoutes);
    await api.register(auditRoutes);
    await api.register(auditVerifyRoutes);
    await api.register(policyRoutes);
    await api.register(decisionsRoutes);
    await api.register(auditReportRoutes);
    await api.register(principalRoutes);
    await api.register(accessReviewRoutes);
    await api.register(subjectRoutes);
    await api.register(subjectAccessRoutes);
    await api.register(audienceRoutes);
    await api.register(incidentRoutes);
    await api.register(inventoryRoutes, { rateLimit: { max: config.http.rateLimitMax, windowMs: config.http.rateLimitWindowMs } });
    await api.register(retentionRoutes);
    await api.register(modelRoutes);
  });
  // The web console: a client of the API above; its development sign-in only where dev tokens are accepted.
  // Minting a token needs nothing but reaching the port: only where dev tokens are accepted
  // at all, and by default only on a loopback address (CONSOLE_DEV_SIGNIN).
  const devTokens = config.auth.devSecret !== undefined && !config.auth.jwksUrl && config.nodeEnv !== 'production';
  const devSignIn = devTokens && (config.consoleDevSignIn === 'true' || (config.consoleDevSignIn === 'auto' && isLoopbackHost(config.host)));
  await app.register(consolePlugin, { auth: config.auth, devSignIn, policyStore, oidc: config.consoleOidc });
  await app.register(graphqlPlugin, { production: config.nodeEnv === 'production', model: policy.model, jit: config.graphqlJit });
  return app;
}

/** What start-up did to the schema, and what it left for a person (names and SQL only, never data). */
function logModelPlan(plan: SchemaPlan, logger: Logger): void {
  if (plan.steps.length > 0) logger.info({ steps: plan.steps.map((s) => `${s.resource}: ${s.summary}`) }, 'data model applied');
  if (plan.drift.length > 0) {
    logger.warn({ drift: plan.drift.map((d) => `${d.resource}: ${d.summary}`) }, 'the database differs from the data model; npm run model -- plan shows the SQL a person may run');
  }
}
