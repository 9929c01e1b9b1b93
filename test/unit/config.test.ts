import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: undefined, pgliteDir: '.data', logLevel: 'info', demoData: true });
    expect(config.auth.rolesClaim).toBe('roles');
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL /],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL /],
    [{ AUTH_JWKS_URL: 'not a url' }, /^Invalid configuration: AUTH_JWKS_URL /],
    [{ AUTH_DEV_SECRET: 'short' }, /^Invalid configuration: AUTH_DEV_SECRET /],
    [{ DATABASE_POOL_MAX: '0' }, /^Invalid configuration: DATABASE_POOL_MAX /],
    [{ DATABASE_CONNECT_TIMEOUT_MS: 'soon' }, /^Invalid configuration: DATABASE_CONNECT_TIMEOUT_MS /],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '10' }, /^Invalid configuration: DATABASE_STATEMENT_TIMEOUT_MS /],
    [{ PRINCIPAL_STATUS_MAX_STALE_MS: '500' }, /^Invalid configuration: PRINCIPAL_STATUS_MAX_STALE_MS /],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /^Invalid configuration: REDIS_URL /],
    [{ NODE_ENV: 'production', AUTH_DEV_SECRET: 'x'.repeat(40) }, /AUTH_DEV_SECRET is refused when NODE_ENV=production/],
    [{ NODE_ENV: 'production' }, /AUTH_JWKS_URL is required/],
    [{ NODE_ENV: 'production', AUTH_JWKS_URL: 'http://idp.example/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, /AUTH_JWKS_URL must be https/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_AUDIENCE: 'a' }, /AUTH_ISSUER is required/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'i', AUTH_DEV_SECRET: 'x'.repeat(40) }, /cannot be combined/],
    [{ AUDIT_SINKS: 'nats,kafka' }, /^Invalid configuration: AUDIT_SINKS /],
    [{ AUDIT_SINKS: 'http' }, /AUDIT_SINK_HTTP_URL is required when AUDIT_SINKS names http/],
    [{ AUDIT_SINK_FORMAT: 'cef' }, /^Invalid configuration: AUDIT_SINK_FORMAT /],
    [{ AUDIT_SINK_HTTP_FORMAT: 'loki' }, /^Invalid configuration: AUDIT_SINK_HTTP_FORMAT /],
    [{ AUDIT_SINK_NATS_SUBJECT_PREFIX: 'audit.>' }, /^Invalid configuration: AUDIT_SINK_NATS_SUBJECT_PREFIX /],
    [{ AUDIT_SINK_NATS_URL: 'http://127.0.0.1:4222' }, /^Invalid configuration: AUDIT_SINK_NATS_URL /],
    [{ AUDIT_SINK_RETRY_MIN_MS: '5000', AUDIT_SINK_RETRY_MAX_MS: '1000' }, /AUDIT_SINK_RETRY_MIN_MS must not exceed/],
    [{ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a', AUDIT_SINKS: 'http', AUDIT_SINK_HTTP_URL: 'http://siem.example/services/collector' }, /AUDIT_SINK_HTTP_URL must be https/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('bounds the database pool and timeouts, with defaults that turn a stuck database into a 503 within seconds', () => {
    expect(loadConfig({}).database).toEqual({ poolMax: 10, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000, preparedStatements: true });
    expect(loadConfig({ DATABASE_POOL_MAX: '3', DATABASE_CONNECT_TIMEOUT_MS: '800', DATABASE_STATEMENT_TIMEOUT_MS: '2000', DATABASE_PREPARED_STATEMENTS: 'false' }).database)
      .toEqual({ poolMax: 3, connectTimeoutMs: 800, statementTimeoutMs: 2_000, preparedStatements: false });
  });

  it('fails closed on a stale memory of disabled people after 5 s by default, configurable', () => {
    expect(loadConfig({}).principalStatusMaxStaleMs).toBe(5_000);
    expect(loadConfig({ PRINCIPAL_STATUS_MAX_STALE_MS: '2000' }).principalStatusMaxStaleMs).toBe(2_000);
  });

  it('keeps rate-limit counters in memory unless REDIS_URL names a Redis, under a configurable key prefix', () => {
    expect(loadConfig({}).http).toMatchObject({ redisUrl: undefined, redisKeyPrefix: 'fieldguard:', redisCommandTimeoutMs: 500 });
    expect(loadConfig({ REDIS_COMMAND_TIMEOUT_MS: '2000' }).http.redisCommandTimeoutMs).toBe(2_000);
    expect(() => loadConfig({ REDIS_COMMAND_TIMEOUT_MS: '0' })).toThrow(/REDIS_COMMAND_TIMEOUT_MS/);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', REDIS_KEY_PREFIX: 'fg-eu:' }).http)
      .toMatchObject({ redisUrl: 'redis://127.0.0.1:6379/2', redisKeyPrefix: 'fg-eu:' });
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@redis.internal:6380' }).http.redisUrl).toBe('rediss://user:pw@redis.internal:6380');
  });

  it('refuses a prepared-statements switch that is not true or false', () => {
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'yes' })).toThrow(/^Invalid configuration: DATABASE_PREPARED_STATEMENTS /);
  });

  it('delivers the trail nowhere by default, and reads every AUDIT_SINK_* setting', () => {
    expect(loadConfig({}).auditDelivery).toMatchObject({ sinks: [], format: 'ocsf', batchSize: 100, pollMs: 1_000, retryMinMs: 500, retryMaxMs: 60_000, leaseRetryMs: 5_000 });
    expect(loadConfig({}).auditDelivery.nats).toEqual({ url: 'nats://127.0.0.1:4222', subjectPrefix: 'fieldguard.audit', stream: 'FIELDGUARD_AUDIT', token: undefined, ackTimeoutMs: 5_000 });
    const config = loadConfig({
      AUDIT_SINKS: ' nats, http,nats',
      AUDIT_SINK_FORMAT: 'ecs',
      AUDIT_SINK_HTTP_URL: 'https://siem.example/_bulk',
      AUDIT_SINK_HTTP_FORMAT: 'elastic',
      AUDIT_SINK_HTTP_TOKEN: 'secret-token',
      AUDIT_SINK_HTTP_AUTH_SCHEME: 'ApiKey',
      AUDIT_SINK_NATS_SUBJECT_PREFIX: 'acme.fg-audit',
    }).auditDelivery;
    expect(config.sinks).toEqual(['nats', 'http']);
    expect(config.format).toBe('ecs');
    expect(config.nats.subjectPrefix).toBe('acme.fg-audit');
    expect(config.http).toEqual({ url: 'https://siem.example/_bulk', format: 'elastic', token: 'secret-token', authScheme: 'ApiKey', index: 'fieldguard-audit', timeoutMs: 10_000 });
  });

  it('never repeats a sink token in its refusals', () => {
    expect(() => loadConfig({ AUDIT_SINKS: 'http', AUDIT_SINK_HTTP_TOKEN: 'hunter2-token' })).toThrow(/^(?!.*hunter2)/);
  });

  it('serves metrics only with a METRICS_TOKEN long and plain enough to be a bearer token, never echoing it', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    const token = 'm'.repeat(24) + '-._~+/=' + '0'.repeat(8);
    expect(loadConfig({ METRICS_TOKEN: token }).metricsToken).toBe(token);
    for (const bad of ['short-token', `${'x'.repeat(40)} with spaces`, 'ü'.repeat(40)]) {
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(/^Invalid configuration: METRICS_TOKEN /);
      expect(() => loadConfig({ METRICS_TOKEN: bad })).not.toThrow(bad);
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: undefined });
  });
});
