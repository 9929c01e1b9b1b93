import { z } from 'zod';

/** Validated service configuration; read once from the environment at start-up. */
export interface Config {
  port: number;
  host: string;
  nodeEnv: string;
  databaseUrl: string | undefined;
  pgliteDir: string;
  policyFile: string | undefined;
  policyHashKey: string | undefined;
  demoData: boolean;
  logLevel: string;
  /** Apply pending migrations at start-up; off when the service runs as fieldguard_app. */
  migrateOnStart: boolean;
  /** Batch concurrent audit rows into one transaction (each request still awaits its own). */
  auditGroupCommit: boolean;
  /** Compile repeated GraphQL documents with graphql-jit (GRAPHQL_JIT; graphql/jit.ts keeps it to single operations). */
  graphqlJit: boolean;
  /** Largest document a caller may upload, in bytes (DOCUMENT_MAX_BYTES). */
  documentMaxBytes: number;
  /**
   * Longest time requests are answered on a memory of disabled people not proven current
   * (its listener disconnected); after it, every request gets 503 until it is again.
   */
  principalStatusMaxStaleMs: number;
  /** Record ids per audit event of an export: the rows the service holds at once while exporting. */
  exportAuditChunk: number;
  database: DatabaseConfig;
  auth: AuthConfig;
  /** The web console's sign-in through the identity provider (OpenID Connect, a public client with PKCE); null when not configured. */
  consoleOidc: ConsoleOidcConfig | null;
  http: HttpConfig;
  /** Pushing the audit trail to a SIEM; `sinks` empty means no delivery. */
  auditDelivery: AuditDeliveryConfig;
  /** Bearer token Prometheus sends to GET /metrics; unset, the endpoint answers 404. */
  metricsToken: string | undefined;
  /**
   * CONSOLE_DEV_SIGNIN: whether the console's development role picker (POST /console/dev-token,
   * which mints tokens for anyone who reaches it) may exist: `auto` only on a loopback HOST,
   * `true` wherever dev tokens are accepted, `false` never. Never with an identity provider
   * or in production, whatever this says.
   */
  consoleDevSignIn: 'auto' | 'true' | 'false';
  /** Retention inside the service (RETENTION_INTERVAL): off (null) by default; see docs/retention.md. */
  retention: { intervalMs: number | null; batchSize: number };
}

/** `RETENTION_INTERVAL`: a whole number of s, m (minutes), h or d, e.g. 6h, 1d. */
const INTERVAL = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const INTERVAL_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const intervalMs = (text: string) => {
  const [, n, unit] = INTERVAL.exec(text)!;
  return Number(n) * INTERVAL_MS[unit!]!;
};

/** Where and how the audit trail is pushed (AUDIT_SINK_*); see docs/audit.md. */
export interface AuditDeliveryConfig {
  sinks: Array<'nats' | 'http'>;
  /** Which renderer of the feed a delivered event goes through. */
  format: 'json' | 'ocsf' | 'ecs';
  /** Most events read and sent at once. */
  batchSize: number;
  /** Pause between two looks at the trail once caught up: the longest an event waits to be sent. */
  pollMs: number;
  /** First pause after a failed send; doubled per failure up to `retryMaxMs`, with jitter. */
  retryMinMs: number;
  retryMaxMs: number;
  /** How often an instance not delivering tries to take the lease. */
  leaseRetryMs: number;
  nats: { url: string; subjectPrefix: string; stream: string; token: string | undefined; ackTimeoutMs: number };
  http: {
    url: string | undefined;
    format: 'splunk' | 'elastic';
    /** Secret: never logged. */
    token: string | undefined;
    authScheme: 'Bearer' | 'Splunk' | 'ApiKey';
    /** Elastic `_index` of every document. */
    index: string;
    timeoutMs: number;
  };
}

export interface HttpConfig {
  /** Browser origins allowed to call the API cross-origin; empty means none. */
  corsOrigins: string[];
  /** Requests one principal (or, before authentication, one IP) may make per window; 0 turns the limit off. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /**
   * Redis holding the rate limits' counters, shared by every instance; unset keeps them in
   * each instance's memory (behind N instances, N times the limit).
   */
  redisUrl: string | undefined;
  /** Prefix of every key fieldguard writes in that Redis (several deployments may share one). */
  redisKeyPrefix: string;
  /** Longest wait for Redis to answer a count before this instance counts in its own memory. */
  redisCommandTimeoutMs: number;
}

/** Pool and timeouts: a stuck or exhausted database must become a 503 within seconds. */
export interface DatabaseConfig {
  /** Connections to PostgreSQL; embedded PGlite always uses one. */
  poolMax: number;
  /** Longest wait to open a connection or to get one from a busy pool. */
  connectTimeoutMs: number;
  /** Longest a single statement may run before PostgreSQL cancels it. */
  statementTimeoutMs: number;
  /** Run the hot statements as named (prepared) ones; off behind a transaction-mode pooler. */
  preparedStatements: boolean;
}

export interface AuthConfig {
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  rolesClaim: string;
  /** HS256 secret for local development; never accepted in production. */
  devSecret: string | undefined;
  /** Minimum time between two JWKS fetches triggered by unknown `kid`s. */
  jwksCooldownMs: number;
  /** How long a verified token is trusted without checking its signature again (0: never cached). */
  tokenCacheMs: number;
}

/** What the console needs to sign people in at the identity provider; public, no secret (PKCE). */
export interface ConsoleOidcConfig {
  issuer: string;
  clientId: string;
  scope: string;
  /** RFC 8707 resource indicator sent with the authorization and token requests, when the IdP wants one. */
  resource: string | null;
  /** An `audience` authorization parameter, for providers that name the API that way (Auth0). */
  audience: string | null;
}

/** Thrown for a bad environment; its message is the one line the operator sees. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const optionalText = z.string().trim().min(1).optional();
const millis = (fallback: number) => z.coerce.number().int().min(1).max(600_000).default(fallback);
const origins = z
  .string()
  .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
  .pipe(z.array(z.url({ protocol: /^https?$/ }).regex(/^[^/]+\/\/[^/]+$/, 'must list bare origins (scheme://host[:port])')));
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const sinkList = z
  .string()
  .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
  .pipe(z.array(z.enum(['nats', 'http'])));
// A NATS subject token: letters, digits, `_` and `-`, joined by dots; no wildcards.
const subjectPrefix = z.string().trim().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated tokens of letters, digits, _ and -');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  NODE_ENV: z.string().trim().min(1).default('development'),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PGLITE_DIR: z.string().trim().min(1).default('.data'),
  POLICY_FILE: optionalText,
  POLICY_HASH_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  DEMO_DATA: bool.optional(),
  AUDIT_GROUP_COMMIT: bool.default(true),
  // On by default: 10-13 % less service CPU per GraphQL request, reads and nested lists (docs/performance.md#graphql-jit).
  GRAPHQL_JIT: bool.default(true),
  MIGRATE_ON_START: bool.default(true),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: optionalText,
  AUTH_AUDIENCE: optionalText,
  // 10 MiB by default; PostgreSQL's bytea itself stops at 1 GiB.
  DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1).max(1024 * 1024 * 1024).default(10 * 1024 * 1024),
  AUTH_ROLES_CLAIM: z.string().trim().min(1).default('roles'),
  AUTH_DEV_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWKS_COOLDOWN_MS: millis(30_000),
  AUTH_TOKEN_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  PRINCIPAL_STATUS_MAX_STALE_MS: z.coerce.number().int().min(1000).max(600_000).default(5_000),
  EXPORT_AUDIT_CHUNK: z.coerce.number().int().min(1).max(100_000).default(1000),
  CORS_ORIGINS: origins.default([]),
  CONSOLE_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  CONSOLE_OIDC_CLIENT_ID: z.string().trim().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 visible ASCII characters').optional(),
  CONSOLE_OIDC_SCOPE: z.string().trim().regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must be scope names separated by single spaces').max(1000).default('openid'),
  CONSOLE_OIDC_RESOURCE: z.url().optional(),
  CONSOLE_OIDC_AUDIENCE: z.string().trim().min(1).max(500).optional(),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(3000),
  RATE_LIMIT_WINDOW_MS: millis(60_000),
  AUDIT_SINKS: sinkList.default([]),
  AUDIT_SINK_FORMAT: z.enum(['json', 'ocsf', 'ecs']).default('ocsf'),
  // 100 OCSF events (a few hundred KiB of JSON) stay well within a collector's request size limit.
  AUDIT_SINK_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  AUDIT_SINK_POLL_MS: millis(1_000),
  AUDIT_SINK_RETRY_MIN_MS: millis(500),
  AUDIT_SINK_RETRY_MAX_MS: millis(60_000),
  AUDIT_SINK_LEASE_RETRY_MS: millis(5_000),
  AUDIT_SINK_NATS_URL: z.string().trim().regex(/^(nats|tls):\/\/[^\s]+$/, 'must be a nats:// or tls:// URL').default('nats://127.0.0.1:4222'),
  AUDIT_SINK_NATS_SUBJECT_PREFIX: subjectPrefix.default('fieldguard.audit'),
  AUDIT_SINK_NATS_STREAM: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -').default('FIELDGUARD_AUDIT'),
  AUDIT_SINK_NATS_TOKEN: z.string().min(1).optional(),
  AUDIT_SINK_NATS_ACK_TIMEOUT_MS: millis(5_000),
  AUDIT_SINK_HTTP_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUDIT_SINK_HTTP_FORMAT: z.enum(['splunk', 'elastic']).default('splunk'),
  AUDIT_SINK_HTTP_TOKEN: z.string().min(1).optional(),
  AUDIT_SINK_HTTP_AUTH_SCHEME: z.enum(['Bearer', 'Splunk', 'ApiKey']).default('Bearer'),
  AUDIT_SINK_HTTP_INDEX: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,254}$/, 'must be a lower-case Elastic index or data stream name').default('fieldguard-audit'),
  AUDIT_SINK_HTTP_TIMEOUT_MS: millis(10_000),
  // Long and random, in the characters a bearer token may hold, so it can be sent as one.
  METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .max(512, 'must be at most 512 characters')
    .regex(/^[A-Za-z0-9._~+/=-]+$/, 'may only hold letters, digits and ._~+/=-')
    .optional(),
  CONSOLE_DEV_SIGNIN: z.enum(['auto', 'true', 'false']).default('auto'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().trim().min(1).max(100).default('fieldguard:'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(500),
  RETENTION_INTERVAL: z
    .string()
    .trim()
    .regex(INTERVAL, 'must be a whole number and a unit: s, m (minutes), h or d, e.g. 6h or 1d')
    .transform(intervalMs)
    .pipe(z.number().max(366 * 86_400_000, 'must be at most a year'))
    .optional(),
  // Each batch's event names every record: a thousand ids keep it a few dozen KiB.
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
});

/** A listening address only this machine reaches. */
export const isLoopbackHost = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || host.startsWith('127.');
const isLoopback = (url: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);

/**
 * Reads and validates the configuration. Empty variables count as unset, so
 * `FOO=` in a shell behaves like no FOO at all.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.shape && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && e.AUTH_DEV_SECRET) {
    throw new ConfigError('Invalid configuration: AUTH_DEV_SECRET is refused when NODE_ENV=production');
  }
  if (production && !e.AUTH_JWKS_URL) {
    throw new ConfigError('Invalid configuration: AUTH_JWKS_URL is required when NODE_ENV=production');
  }
  if (production && e.AUTH_JWKS_URL?.startsWith('http:') && !isLoopback(e.AUTH_JWKS_URL)) {
    // Over plain HTTP anyone on the path could substitute the signing keys; a sidecar
    // on the loopback interface has no such path.
    throw new ConfigError('Invalid configuration: AUTH_JWKS_URL must be https when NODE_ENV=production (http only on loopback)');
  }
  if (e.AUTH_JWKS_URL && e.AUTH_DEV_SECRET) {
    // Accepting HS256 next to a JWKS would let anyone holding the dev secret mint tokens.
    throw new ConfigError('Invalid configuration: AUTH_DEV_SECRET cannot be combined with AUTH_JWKS_URL');
  }
  if (e.AUTH_JWKS_URL && (!e.AUTH_ISSUER || !e.AUTH_AUDIENCE)) {
    const missing = e.AUTH_ISSUER ? 'AUTH_AUDIENCE' : 'AUTH_ISSUER';
    throw new ConfigError(`Invalid configuration: ${missing} is required with AUTH_JWKS_URL`);
  }
  const consoleOidc = consoleOidcOf(e, production);
  if (e.AUDIT_SINKS.includes('http') && !e.AUDIT_SINK_HTTP_URL) {
    throw new ConfigError('Invalid configuration: AUDIT_SINK_HTTP_URL is required when AUDIT_SINKS names http');
  }
  if (e.AUDIT_SINK_RETRY_MIN_MS > e.AUDIT_SINK_RETRY_MAX_MS) {
    throw new ConfigError('Invalid configuration: AUDIT_SINK_RETRY_MIN_MS must not exceed AUDIT_SINK_RETRY_MAX_MS');
  }
  if (production && e.AUDIT_SINK_HTTP_URL?.startsWith('http:') && !isLoopback(e.AUDIT_SINK_HTTP_URL)) {
    // The token and the whole trail would cross the network in clear.
    throw new ConfigError('Invalid configuration: AUDIT_SINK_HTTP_URL must be https when NODE_ENV=production (http only on loopback)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    pgliteDir: e.PGLITE_DIR,
    policyFile: e.POLICY_FILE,
    policyHashKey: e.POLICY_HASH_KEY,
    demoData: e.DEMO_DATA ?? !e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    auditGroupCommit: e.AUDIT_GROUP_COMMIT,
    graphqlJit: e.GRAPHQL_JIT,
    migrateOnStart: e.MIGRATE_ON_START,
    documentMaxBytes: e.DOCUMENT_MAX_BYTES,
    principalStatusMaxStaleMs: e.PRINCIPAL_STATUS_MAX_STALE_MS,
    exportAuditChunk: e.EXPORT_AUDIT_CHUNK,
    database: {
      poolMax: e.DATABASE_POOL_MAX,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    auth: {
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      rolesClaim: e.AUTH_ROLES_CLAIM,
      devSecret: e.AUTH_DEV_SECRET,
      jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
      tokenCacheMs: e.AUTH_TOKEN_CACHE_SECONDS * 1000,
    },
    consoleOidc,
    http: {
      corsOrigins: e.CORS_ORIGINS,
      rateLimitMax: e.RATE_LIMIT_MAX,
      rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    },
    auditDelivery: {
      sinks: e.AUDIT_SINKS,
      format: e.AUDIT_SINK_FORMAT,
      batchSize: e.AUDIT_SINK_BATCH_SIZE,
      pollMs: e.AUDIT_SINK_POLL_MS,
      retryMinMs: e.AUDIT_SINK_RETRY_MIN_MS,
      retryMaxMs: e.AUDIT_SINK_RETRY_MAX_MS,
      leaseRetryMs: e.AUDIT_SINK_LEASE_RETRY_MS,
      nats: {
        url: e.AUDIT_SINK_NATS_URL,
        subjectPrefix: e.AUDIT_SINK_NATS_SUBJECT_PREFIX,
        stream: e.AUDIT_SINK_NATS_STREAM,
        token: e.AUDIT_SINK_NATS_TOKEN,
        ackTimeoutMs: e.AUDIT_SINK_NATS_ACK_TIMEOUT_MS,
      },
      http: {
        url: e.AUDIT_SINK_HTTP_URL,
        format: e.AUDIT_SINK_HTTP_FORMAT,
        token: e.AUDIT_SINK_HTTP_TOKEN,
        authScheme: e.AUDIT_SINK_HTTP_AUTH_SCHEME,
        index: e.AUDIT_SINK_HTTP_INDEX,
        timeoutMs: e.AUDIT_SINK_HTTP_TIMEOUT_MS,
      },
    },
    metricsToken: e.METRICS_TOKEN,
    consoleDevSignIn: e.CONSOLE_DEV_SIGNIN,
    retention: { intervalMs: e.RETENTION_INTERVAL ?? null, batchSize: e.RETENTION_BATCH_SIZE },
  };
}

/**
 * The console's OpenID Connect sign-in: on when CONSOLE_OIDC_CLIENT_ID is set, at
 * CONSOLE_OIDC_ISSUER or else AUTH_ISSUER. The tokens it gets are verified like any
 * other, so it is refused where the service accepts no identity provider's tokens.
 */
function consoleOidcOf(e: z.infer<typeof schema>, production: boolean): ConsoleOidcConfig | null {
  const stray = (['CONSOLE_OIDC_ISSUER', 'CONSOLE_OIDC_RESOURCE', 'CONSOLE_OIDC_AUDIENCE'] as const).find((k) => e[k] !== undefined);
  if (!e.CONSOLE_OIDC_CLIENT_ID) {
    if (stray) throw new ConfigError(`Invalid configuration: CONSOLE_OIDC_CLIENT_ID is required with ${stray}`);
    return null;
  }
  if (!e.AUTH_JWKS_URL) {
    throw new ConfigError('Invalid configuration: CONSOLE_OIDC_CLIENT_ID needs AUTH_JWKS_URL (the service must verify the tokens the identity provider issues)');
  }
  const issuer = e.CONSOLE_OIDC_ISSUER ?? e.AUTH_ISSUER;
  if (!issuer || !/^https?:\/\/[^\s]+$/.test(issuer) || !URL.canParse(issuer)) {
    throw new ConfigError('Invalid configuration: CONSOLE_OIDC_ISSUER must be set to the identity provider\'s http(s) issuer URL (AUTH_ISSUER is not one)');
  }
  if (!e.CONSOLE_OIDC_SCOPE.split(' ').includes('openid')) {
    // Without it there is no ID token, so no nonce to check: an OAuth sign-in, not OpenID Connect.
    throw new ConfigError('Invalid configuration: CONSOLE_OIDC_SCOPE must include openid');
  }
  if (production && issuer.startsWith('http:') && !isLoopback(issuer)) {
    throw new ConfigError('Invalid configuration: CONSOLE_OIDC_ISSUER must be https when NODE_ENV=production (http only on loopback)');
  }
  return { issuer, clientId: e.CONSOLE_OIDC_CLIENT_ID, scope: e.CONSOLE_OIDC_SCOPE, resource: e.CONSOLE_OIDC_RESOURCE ?? null, audience: e.CONSOLE_OIDC_AUDIENCE ?? null };
}
