import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const IDP = { AUTH_JWKS_URL: 'https://idp.example.org/jwks.json', AUTH_ISSUER: 'https://idp.example.org/realms/salon', AUTH_AUDIENCE: 'fieldguard' };

describe("the console's OpenID Connect sign-in configuration", () => {
  it('is off unless a client id is set', () => {
    expect(loadConfig({}).consoleOidc).toBeNull();
    expect(loadConfig(IDP).consoleOidc).toBeNull();
  });

  it('signs in at AUTH_ISSUER by default, with scope openid and no resource', () => {
    expect(loadConfig({ ...IDP, CONSOLE_OIDC_CLIENT_ID: 'fieldguard-console' }).consoleOidc).toEqual({
      issuer: 'https://idp.example.org/realms/salon',
      clientId: 'fieldguard-console',
      scope: 'openid',
      resource: null,
      audience: null,
    });
  });

  it('takes its own issuer, scope, resource and audience', () => {
    const config = loadConfig({
      ...IDP,
      CONSOLE_OIDC_ISSUER: 'https://login.example.org/',
      CONSOLE_OIDC_CLIENT_ID: 'console',
      CONSOLE_OIDC_SCOPE: 'openid profile fieldguard',
      CONSOLE_OIDC_RESOURCE: 'https://api.example.org/',
      CONSOLE_OIDC_AUDIENCE: 'fieldguard',
    });
    expect(config.consoleOidc).toEqual({ issuer: 'https://login.example.org/', clientId: 'console', scope: 'openid profile fieldguard', resource: 'https://api.example.org/', audience: 'fieldguard' });
  });

  it.each([
    [{ ...IDP, CONSOLE_OIDC_ISSUER: 'https://idp.example.org/' }, /CONSOLE_OIDC_CLIENT_ID is required with CONSOLE_OIDC_ISSUER/],
    [{ ...IDP, CONSOLE_OIDC_RESOURCE: 'https://api.example.org/' }, /CONSOLE_OIDC_CLIENT_ID is required with CONSOLE_OIDC_RESOURCE/],
    [{ CONSOLE_OIDC_CLIENT_ID: 'console', AUTH_DEV_SECRET: 'x'.repeat(40) }, /CONSOLE_OIDC_CLIENT_ID needs AUTH_JWKS_URL/],
    [{ ...IDP, AUTH_ISSUER: 'salon', CONSOLE_OIDC_CLIENT_ID: 'console' }, /CONSOLE_OIDC_ISSUER must be set to the identity provider's http\(s\) issuer URL/],
    [{ ...IDP, CONSOLE_OIDC_ISSUER: 'ftp://idp.example.org/', CONSOLE_OIDC_CLIENT_ID: 'console' }, /^Invalid configuration: CONSOLE_OIDC_ISSUER /],
    [{ ...IDP, CONSOLE_OIDC_CLIENT_ID: 'two words' }, /^Invalid configuration: CONSOLE_OIDC_CLIENT_ID /],
    [{ ...IDP, CONSOLE_OIDC_CLIENT_ID: 'console', CONSOLE_OIDC_SCOPE: 'openid  "profile"' }, /^Invalid configuration: CONSOLE_OIDC_SCOPE /],
    [{ ...IDP, CONSOLE_OIDC_CLIENT_ID: 'console', CONSOLE_OIDC_SCOPE: 'profile fieldguard' }, /CONSOLE_OIDC_SCOPE must include openid/],
    [{ ...IDP, CONSOLE_OIDC_CLIENT_ID: 'console', CONSOLE_OIDC_RESOURCE: 'not a uri' }, /^Invalid configuration: CONSOLE_OIDC_RESOURCE /],
    [{ ...IDP, NODE_ENV: 'production', CONSOLE_OIDC_ISSUER: 'http://idp.example.org/', CONSOLE_OIDC_CLIENT_ID: 'console' }, /CONSOLE_OIDC_ISSUER must be https when NODE_ENV=production/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts a provider over plain http on loopback in production (a sidecar)', () => {
    const config = loadConfig({ ...IDP, NODE_ENV: 'production', CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:9000', CONSOLE_OIDC_CLIENT_ID: 'console' });
    expect(config.consoleOidc?.issuer).toBe('http://127.0.0.1:9000');
  });
});
