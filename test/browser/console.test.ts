import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { consolePlugin } from '../../src/console/console.plugin.js';
import { loadConfig } from '../../src/config.js';
import { BROWSER_WAIT_MS, offlinePage } from '../helpers/browser.js';
import { disableFromPeople, expectNoSidewaysScroll, signIn, useConsoleServer, storedTokens } from '../helpers/console-browser.js';
import { listenOnLoopback, socketClient } from '../helpers/http-client.js';

// The service as `npm start` runs it in development: dev tokens, no identity provider.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const s = useConsoleServer();

const devToken = (sub: string, ...roles: string[]) => s.devToken(sub, ...roles);
const get = (token: string, url: string) => s.call(token, url);

describe('the console is served with a strict CSP', () => {
  it('answers /console, its client routes and its hashed assets with the console CSP and nothing inline', async () => {
    const index = await s.t.http({ url: '/console' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toBe(CSP);
    // No inline script or style: every script and stylesheet is a file of ours.
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index.body).not.toMatch(/<style|style=/);
    const assets = [...index.body.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await s.t.http({ url: asset });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-security-policy']).toBe(CSP);
      expect(res.headers['cache-control']).toContain('immutable');
    }
    const route = await s.t.http({ url: '/console/records/customers' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toBe(index.body);
    expect(route.headers['content-security-policy']).toBe(CSP);
  });

  it('serves no file outside its build', async () => {
    const index = (await s.t.http({ url: '/console' })).body;
    for (const url of ['/console/assets/..%2F..%2Fpackage.json', '/console/assets/index.html', '/console/assets/nothing-here.js', '/console/assets/%2e%2e', '/console/..%2F..%2Fpackage.json']) {
      const res = await s.t.http({ url });
      // A missing asset is 404; anything else under /console is a client route, answered by the index.
      if (res.statusCode !== 404) expect(res.body, url).toBe(index);
      expect(res.body, url).not.toContain('"name": "fieldguard"');
    }
    expect((await s.t.http({ url: '/console/assets/nothing-here.js' })).statusCode).toBe(404);
  });

  it('mints development tokens only for roles of the running policy, with bounded input', async () => {
    const roles = (await s.t.http({ url: '/console/dev-token' })).json().roles;
    expect(roles).toEqual(['admin', 'agent', 'assistant', 'auditor', 'dpo', 'manager']);
    for (const payload of [{ sub: 'rita', roles: ['root'] }, { sub: 'rita', roles: [] }, { sub: 'x'.repeat(65), roles: ['agent'] }, { sub: 'rita', roles: ['agent'], ttl: 99 }]) {
      const res = await s.t.http({ method: 'POST', url: '/console/dev-token', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('says how to build it when the build is missing, and has no dev sign-in with an identity provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-missing-'));
    const app = Fastify();
    try {
      const auth = loadConfig({}).auth;
      await app.register(consolePlugin, { auth, devSignIn: false, policyStore: undefined as never, dir });
      // Over a listening port, as a browser would reach it.
      const http = socketClient(await listenOnLoopback(app));
      const res = await http({ url: '/console' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run console:build');
      expect(res.headers['content-security-policy']).toBe(CSP);
      expect((await http({ method: 'POST', url: '/console/dev-token', payload: { sub: 'eve', roles: ['admin'] } })).statusCode).toBe(404);
      http.close();
      // With sign-in at an identity provider, the console may also talk to it, and to nothing else.
      const oidcConfig = loadConfig({ AUTH_JWKS_URL: 'https://idp.example.org/jwks.json', AUTH_ISSUER: 'https://idp.example.org/realms/salon', AUTH_AUDIENCE: 'fieldguard', CONSOLE_OIDC_CLIENT_ID: 'fieldguard-console' });
      const oidc = Fastify();
      await oidc.register(consolePlugin, {
        auth: oidcConfig.auth,
        oidc: oidcConfig.consoleOidc,
        devSignIn: false,
        policyStore: undefined as never,
        dir,
      });
      const oidcHttp = socketClient(await listenOnLoopback(oidc));
      expect((await oidcHttp({ url: '/console' })).headers['content-security-policy']).toBe(CSP.replace("connect-src 'self'", "connect-src 'self' https://idp.example.org"));
      oidcHttp.close();
      await oidc.close();
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the console in Chromium', () => {
  it('shows an assistant masked fields marked as masked, withheld ones as withheld, and no People page', { timeout: 180_000 }, async () => {
    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      // Keyboard only: Enter in the name field submits; with no role ticked, the page says so.
      await page.goto(`${s.base}/console`);
      const name = page.getByLabel('Your name (subject)');
      await name.fill('rita');
      await name.press('Enter');
      await page.getByRole('alert').getByText('Pick at least one role.').waitFor();
      await page.getByRole('checkbox', { name: 'assistant', exact: true }).press('Space');
      await name.press('Enter');
      await page.getByText('Signed in as rita').waitFor();
      await expect.poll(() => page.locator('td[data-field="email"]').count(), { timeout: BROWSER_WAIT_MS }).toBeGreaterThan(0);
      await expect(page.locator('td[data-field="email"]').first().locator('.badge.masked').innerText()).resolves.toMatch(/masked/i);
      expect(await page.getByRole('link', { name: 'People' }).count()).toBe(0);

      await page.getByRole('link', { name: 'Open' }).first().click();
      const email = page.locator('[data-field="email"][data-state="masked"]');
      await email.waitFor();
      expect(await email.innerText()).toMatch(/masked/i);
      const iban = page.locator('[data-field="iban"]');
      expect(await iban.getAttribute('data-state')).toBe('withheld');
      expect((await iban.locator('dd').innerText()).trim().toLowerCase()).toBe('withheld');
      expect(await page.locator('[data-field="fullName"]').getAttribute('data-state')).toBe('clear');

      // On a tablet the page fits its width: nothing scrolls sideways but a wide table, inside its own box.
      await page.setViewportSize({ width: 800, height: 1000 });
      await expectNoSidewaysScroll(page);

      // The People page is not offered, and the API behind it refuses the assistant anyway.
      await page.goto(`${s.base}/console/people`);
      await page.getByText('your role does not open it').waitFor();
      const token = (await storedTokens(page)).session!;
      expect((await get(token, '/v1/principals')).statusCode).toBe(403);

      const stored = await storedTokens(page);
      expect(stored.local).toBe('{}');
      expect(stored.session).toMatch(/^ey/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the fieldguard console' }).waitFor();
      expect(await storedTokens(page)).toEqual({ local: '{}', session: null });
      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('lets an admin browse customers, disable a leaver and approve an agent’s request to see an IBAN', { timeout: 240_000 }, async () => {
    const agent = await devToken('alice', 'agent');
    const leaver = await devToken('lee', 'agent');
    const admin = await devToken('setup-admin', 'admin');
    // The leaver has used the service, so they are listed.
    expect((await get(leaver, '/v1/customers?limit=1')).statusCode).toBe(200);
    const customers = (await get(admin, '/v1/customers?limit=100')).json().items as Array<{ id: string; privacyLevel: string; iban: string | null }>;
    const target = customers.find((c) => c.privacyLevel === 'standard' && c.iban)!;
    expect(target).toBeDefined();
    expect((await get(agent, `/v1/customers/${target.id}`)).json()._access.withheld).toContain('iban');
    const asked = await s.t.http({
      method: 'POST',
      url: '/v1/access-requests',
      headers: { authorization: `Bearer ${agent}` },
      payload: { resource: 'Customer', id: target.id, fields: ['iban'], reason: 'Refund to the customer’s account', minutes: 30 },
    });
    expect(asked.statusCode).toBe(201);
    const requestId = asked.json().id as string;

    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await signIn(page, s.base, 'olivia', ['admin', 'manager']);
      await page.getByRole('link', { name: 'Customer', exact: true }).click();
      await page.locator(`a[href="/console/records/customers/${target.id}"]`).click();
      const iban = page.locator('[data-field="iban"]');
      await iban.waitFor();
      expect(await iban.getAttribute('data-state')).toBe('clear');
      expect(await iban.locator('dd').innerText()).toBe(target.iban);

      await page.getByRole('link', { name: 'People' }).click();
      await disableFromPeople(page, 'lee', 'Left the company');
      const refusedCall = await get(leaver, '/v1/customers?limit=1');
      expect(refusedCall.statusCode).toBe(401);
      expect(refusedCall.json().code).toBe('PRINCIPAL_DISABLED');

      const request = page.locator(`li[data-request="${requestId}"]`);
      await request.getByText('alice asks to see iban').waitFor();
      await request.getByLabel('Note (optional)').fill('Refund approved');
      await request.getByRole('button', { name: 'Approve' }).click();
      await request.getByRole('button', { name: 'Revoke' }).waitFor();
      const seen = (await get(agent, `/v1/customers/${target.id}`)).json();
      expect(seen.iban).toBe(target.iban);
      expect(seen._access.withheld).not.toContain('iban');
      expect(seen._access.masked).not.toContain('iban');

      // Activity: the leaver's disabling is in the timeline, and the agent's next read arrives live.
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.getByLabel('Action').fill('principal.disable');
      await page.getByRole('button', { name: 'Show' }).click();
      const disabled = page.locator('tr[data-action="principal.disable"]');
      await disabled.waitFor();
      expect(await disabled.count()).toBe(1);
      expect(await disabled.innerText()).toContain('olivia');
      expect(await disabled.innerText()).toContain('lee');
      await page.getByLabel('Action').fill('');
      await page.getByLabel('Person').fill('alice');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.locator('tr[data-action="access.requested"]').waitFor();
      const reads = page.locator('tr[data-action="read"]');
      const before = await reads.count();
      expect((await get(agent, `/v1/customers/${customers.find((c) => c.privacyLevel === 'standard' && c.id !== target.id)!.id}`)).statusCode).toBe(200);
      await expect.poll(() => reads.count(), { timeout: BROWSER_WAIT_MS }).toBe(before + 1);

      expect((await storedTokens(page)).local).toBe('{}');
      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
