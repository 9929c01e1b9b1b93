import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS, launchChromium, offlinePage } from '../helpers/browser.js';
import { listenOnLoopback } from '../helpers/http-client.js';
import { listenOidcProvider, throughProviderPages, type LoopbackOidcProvider } from '../helpers/oidc-provider.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The console's production sign-in against a real OpenID Connect provider (panva's
 * oidc-provider, run on loopback): authorization code with PKCE for a public client,
 * JWT access tokens for the service's audience (a resource indicator) carrying the
 * account's roles, its own login and consent pages driven through Chromium. The service
 * trusts the provider as in production: its JWKS, issuer and audience (test/helpers/oidc-provider.ts).
 */

/** The provider's accounts: who may sign in, with which roles of the policy. */
const ROLES: Record<string, string[]> = { dora: ['dpo'], rita: ['assistant'] };
const TOKEN_KEY = 'fieldguard.console.session';
const PENDING_KEY = 'fieldguard.console.oidc';

let idp: LoopbackOidcProvider;
let issuer: string;
let t: TestApp;
let base: string;
let browser: Browser;

beforeAll(async () => {
  // The provider's address first: the service is configured with it before the provider exists.
  idp = await listenOidcProvider();
  issuer = idp.issuer;
  t = await startTestApp(idp.env);
  base = await listenOnLoopback(t.app);
  await idp.start(base, ROLES);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await idp?.close();
});

async function storage(page: Page) {
  return page.evaluate(
    ([tokenKey, pendingKey]) => {
      const window = globalThis as unknown as { localStorage: object; sessionStorage: { getItem(key: string): string | null; length: number } };
      return {
        local: JSON.stringify(window.localStorage),
        token: window.sessionStorage.getItem(tokenKey!),
        pending: window.sessionStorage.getItem(pendingKey!),
        sessionKeys: window.sessionStorage.length,
      };
    },
    [TOKEN_KEY, PENDING_KEY],
  );
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Through the provider's own pages: its login form, then its consent. */
const signInAtProvider = (page: Page, login: string) => throughProviderPages(page, base, issuer, login);

describe('the console signs in through OpenID Connect', () => {
  it('tells the page the public client’s settings, and lets it call the provider and nothing else', async () => {
    const res = await t.http({ url: '/console/config.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      devSignIn: false,
      oidc: { issuer, clientId: 'fieldguard-console', scope: 'openid fieldguard', resource: 'urn:fieldguard:api', audience: null, rolesClaim: 'roles' },
    });
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${issuer}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    );
    // No development sign-in next to an identity provider.
    expect((await t.http({ url: '/console/dev-token' })).statusCode).toBe(404);
  });

  it('signs a privacy officer in at the provider and back, with PKCE, and the API accepts the access token', { timeout: 240_000 }, async () => {
    const { page, context, refused, problems } = await offlinePage(browser);
    // What the console's own pages report (the provider's dev pages ask for a web font, refused offline).
    const consoleProblems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && m.location().url.startsWith(base)) consoleProblems.push(`${m.location().url}: ${m.text()}`);
    });
    const authorizeRequests: URL[] = [];
    const tokenRequests: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.origin === issuer && url.pathname === '/auth') authorizeRequests.push(url);
      if (url.origin === issuer && url.pathname === '/token') tokenRequests.push(r.postData() ?? '');
    });
    try {
      await signInAtProvider(page, 'dora');
      await page.getByText('Signed in as dora').waitFor();
      // Back on the console's home, the code and state gone from the address bar.
      expect(new URL(page.url()).pathname).toBe('/console');
      expect(new URL(page.url()).search).toBe('');

      // The authorization request: code flow, PKCE S256, state, nonce, the resource.
      expect(authorizeRequests).toHaveLength(1);
      const auth = authorizeRequests[0]!.searchParams;
      expect(auth.get('response_type')).toBe('code');
      expect(auth.get('client_id')).toBe('fieldguard-console');
      expect(auth.get('redirect_uri')).toBe(`${base}/console/callback`);
      expect(auth.get('code_challenge_method')).toBe('S256');
      expect(auth.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(auth.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(auth.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(auth.get('resource')).toBe('urn:fieldguard:api');
      // The token request, from the page (CORS): the verifier, no client secret.
      expect(tokenRequests).toHaveLength(1);
      const token = new URLSearchParams(tokenRequests[0]);
      expect(token.get('grant_type')).toBe('authorization_code');
      expect(token.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(token.get('client_id')).toBe('fieldguard-console');
      expect(token.get('client_secret')).toBeNull();

      // An API page works: the records of the model, as the privacy officer sees them.
      await expect.poll(() => page.locator('td[data-field="email"]').count(), { timeout: BROWSER_WAIT_MS }).toBeGreaterThan(0);
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByRole('heading', { name: 'People' }).first().waitFor();

      // The session: the provider's JWT access token, in sessionStorage only; the round trip's secrets gone.
      const stored = await storage(page);
      expect(stored.local).toBe('{}');
      expect(stored.pending).toBeNull();
      expect(stored.sessionKeys).toBe(1);
      const claims = claimsOf(stored.token!);
      expect(claims.iss).toBe(issuer);
      expect(claims.aud).toBe('urn:fieldguard:api');
      expect(claims.sub).toBe('dora');
      expect(claims.roles).toEqual(['dpo']);
      const me = await t.http({ url: '/v1/model', headers: { authorization: `Bearer ${stored.token}` } });
      expect(me.statusCode).toBe(200);
      expect(me.json().you).toMatchObject({ sub: 'dora', roles: ['dpo'] });

      // No CSP violation anywhere, nothing failed on the console's pages, nothing off the machine but the provider page's font.
      expect(problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([]);
      expect(consoleProblems).toEqual([]);
      expect(refused.filter((u) => !u.startsWith('https://fonts.googleapis.com/'))).toEqual([]);

      // A replayed callback is refused in words: its verifier was used and removed.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the fieldguard console' }).waitFor();
      await page.goto(`${base}/console/callback?code=replayed&state=whatever&iss=${encodeURIComponent(issuer)}`);
      await page.getByRole('alert').getByText('This sign-in was not started from this tab').waitFor();
      expect(await storage(page)).toEqual({ local: '{}', token: null, pending: null, sessionKeys: 0 });
    } finally {
      await context.close();
    }
  });

  it('says so in words when the person cancels at the provider, and keeps no round-trip secret', { timeout: 240_000 }, async () => {
    const { page, context } = await offlinePage(browser);
    try {
      await page.goto(`${base}/console`);
      // With an identity provider: its button, the token fallback, and no development role picker.
      await page.getByRole('button', { name: 'Sign in with your organisation' }).waitFor();
      expect(await page.getByText('Sign in with a token').count()).toBe(1);
      expect(await page.getByLabel('Your name (subject)').count()).toBe(0);
      await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
      await page.waitForURL((url) => url.origin === issuer);
      await page.getByRole('link', { name: '[ Cancel ]' }).click();
      await page.getByRole('alert').getByText('The identity provider did not sign you in (access denied).').waitFor();
      expect(await storage(page)).toEqual({ local: '{}', token: null, pending: null, sessionKeys: 0 });
      await page.getByRole('link', { name: 'Back to the sign-in page' }).click();
      await page.getByRole('button', { name: 'Sign in with your organisation' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console');
    } finally {
      await context.close();
    }
  });

  it('signs an assistant in with the roles the provider gives, who sees masks and no People page', { timeout: 240_000 }, async () => {
    const { page, context } = await offlinePage(browser);
    try {
      await signInAtProvider(page, 'rita');
      await page.getByText('Signed in as rita').waitFor();
      await expect.poll(() => page.locator('td[data-field="email"]').count(), { timeout: BROWSER_WAIT_MS }).toBeGreaterThan(0);
      await expect(page.locator('td[data-field="email"]').first().locator('.badge.masked').innerText()).resolves.toMatch(/masked/i);
      expect(await page.getByRole('link', { name: 'People' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
