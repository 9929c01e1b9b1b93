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
    expect(loadConfig({}).http).toMatchObject({ redisUrl: undefined, redisKeyPrefix: 'fieldguard:' });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', REDIS_KEY_PREFIX: 'fg-eu:' }).http)
      .toMatchObject({ redisUrl: 'redis://127.0.0.1:6379/2', redisKeyPrefix: 'fg-eu:' });
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@redis.internal:6380' }).http.redisUrl).toBe('rediss://user:pw@redis.internal:6380');
  });

  it('refuses a prepared-statements switch that is not true or false', () => {
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'yes' })).toThrow(/^Invalid configuration: DATABASE_PREPARED_STATEMENTS /);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: undefined });
  });
});
