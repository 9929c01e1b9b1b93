import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import type { Page } from 'playwright-core';

/**
 * A real OpenID Connect provider (panva's oidc-provider) on loopback, as
 * test/browser/console-oidc.test.ts runs it: authorization code with PKCE for the
 * console's public client, JWT access tokens for the service's audience (a resource
 * indicator) carrying each account's roles of the policy. Listen first (the service is
 * configured with the issuer before the provider exists), then `start` with the console's
 * base URL.
 */
export const OIDC_RESOURCE = 'urn:fieldguard:api';
export const OIDC_CLIENT_ID = 'fieldguard-console';
export const OIDC_SCOPE = 'openid fieldguard';

export interface LoopbackOidcProvider {
  issuer: string;
  /** The service's settings trusting this provider, and the console's public client. */
  env: Record<string, string>;
  start(consoleBase: string, roles: Record<string, string[]>): Promise<void>;
  close(): Promise<void>;
}

export async function listenOidcProvider(): Promise<LoopbackOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    env: {
      AUTH_JWKS_URL: `${issuer}/jwks`,
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: OIDC_RESOURCE,
      CONSOLE_OIDC_CLIENT_ID: OIDC_CLIENT_ID,
      CONSOLE_OIDC_SCOPE: OIDC_SCOPE,
      CONSOLE_OIDC_RESOURCE: OIDC_RESOURCE,
    },
    async start(consoleBase, roles) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: OIDC_CLIENT_ID,
            token_endpoint_auth_method: 'none',
            redirect_uris: [`${consoleBase}/console/callback`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
        cookies: { keys: ['console-oidc-test-cookie-key-0123456789'] },
        pkce: { required: () => true },
        scopes: ['openid', 'fieldguard'],
        findAccount: async (_ctx, sub) => (roles[sub] ? { accountId: sub, claims: async () => ({ sub }) } : undefined),
        features: {
          devInteractions: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: async () => OIDC_RESOURCE,
            getResourceServerInfo: async (_ctx, indicator) => {
              if (indicator !== OIDC_RESOURCE) throw new oidcErrors.InvalidTarget();
              return { scope: 'fieldguard', audience: OIDC_RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
            },
          },
        },
        // The roles claim the service reads (AUTH_ROLES_CLAIM, `roles` by default), in the access token.
        extraTokenClaims: async (_ctx, token) => ('accountId' in token && typeof token.accountId === 'string' ? { roles: roles[token.accountId] ?? [] } : undefined),
      });
      server.on('request', provider.callback());
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Signs in at the console through the provider's own pages: its login form, then its consent. */
export async function signInThroughProvider(page: Page, consoleBase: string, issuer: string, login: string) {
  await throughProviderPages(page, consoleBase, issuer, login);
  await page.getByText(`Signed in as ${login}`).waitFor();
}

/** From the console's sign-in page through the provider's login and consent, up to the way back (whatever it brings). */
export async function throughProviderPages(page: Page, consoleBase: string, issuer: string, login: string) {
  await page.goto(`${consoleBase}/console`);
  await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
  await page.waitForURL((url) => url.origin === issuer);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}
