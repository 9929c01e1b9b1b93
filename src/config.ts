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
  /** Largest document a caller may upload, in bytes (DOCUMENT_MAX_BYTES). */
  documentMaxBytes: number;
  /**
   * Longest time requests are answered on a memory of disabled people not proven current
   * (its listener disconnected); after it, every request gets 503 until it is again.
   */
  principalStatusMaxStaleMs: number;
  database: DatabaseConfig;
  auth: AuthConfig;
  http: HttpConfig;
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
  CORS_ORIGINS: origins.default([]),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(3000),
  RATE_LIMIT_WINDOW_MS: millis(60_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().trim().min(1).max(100).default('fieldguard:'),
});

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
    migrateOnStart: e.MIGRATE_ON_START,
    documentMaxBytes: e.DOCUMENT_MAX_BYTES,
    principalStatusMaxStaleMs: e.PRINCIPAL_STATUS_MAX_STALE_MS,
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
    http: {
      corsOrigins: e.CORS_ORIGINS,
      rateLimitMax: e.RATE_LIMIT_MAX,
      rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
    },
  };
}
