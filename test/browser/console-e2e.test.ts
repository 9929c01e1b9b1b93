import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS, launchChromium, offlinePage, type OfflinePage } from '../helpers/browser.js';
import { disableFromPeople, openSubjectAccessReport, storedTokens } from '../helpers/console-browser.js';
import { listenOnLoopback } from '../helpers/http-client.js';
import { listenOidcProvider, signInThroughProvider, type LoopbackOidcProvider } from '../helpers/oidc-provider.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The console's end-to-end scenario (issue 15's acceptance), over a real service on a real
 * database (default policy, demo data), everyone signing in through a real OpenID Connect
 * provider on loopback: a privacy officer finds who read Giulia Marchetti, opens that
 * agent's history, approves the agent's request to see her IBAN (the agent, in a second
 * browser context, sees it clear until the grant expires), disables a leaver (whose next
 * call fails) and produces Giulia's subject access report; an assistant sees masks and no
 * admin pages. No CSP violation and nothing in localStorage, in every context.
 */

const GIULIA_IBAN = 'IT60X0542811101000000123456';

/**
 * The provider's accounts and their roles of the default policy. In that policy `dpo`
 * may neither approve access requests (approvers are `manager`) nor disable people
 * (`update` on Principal, an admin's right): dora is a small business's owner who is also
 * its privacy officer, hence dpo, manager and admin.
 */
const ROLES: Record<string, string[]> = { dora: ['dpo', 'manager', 'admin'], alice: ['agent'], lee: ['agent'], rita: ['assistant'] };

/** The clock access grants are judged by: real time, plus what the test moves it by. */
let shift = 0;
let idp: LoopbackOidcProvider;
let t: TestApp;
let base: string;
let browser: Browser;
let giuliaId: string;
const contexts: OfflinePage[] = [];

beforeAll(async () => {
  idp = await listenOidcProvider();
  t = await startTestApp(idp.env, { clock: () => Date.now() + shift });
  base = await listenOnLoopback(t.app);
  await idp.start(base, ROLES);
  browser = await launchChromium();
  const { rows } = await t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`);
  giuliaId = rows[0].id;
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.context.close().catch(() => undefined);
  await browser?.close();
  await t?.close();
  await idp?.close();
});

/** A fresh offline context with the console's own problems (not the provider page's font) recorded. */
async function newContext(): Promise<OfflinePage & { consoleProblems: string[] }> {
  const opened = await offlinePage(browser);
  contexts.push(opened);
  const consoleProblems: string[] = [];
  opened.page.on('console', (m) => {
    if (m.type() === 'error' && m.location().url.startsWith(base)) consoleProblems.push(`${m.location().url}: ${m.text()}`);
  });
  return { ...opened, consoleProblems };
}

/** No CSP violation, nothing off the machine but the provider's dev page font, and localStorage empty. */
async function clean(c: OfflinePage & { consoleProblems: string[] }) {
  expect(c.problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([]);
  expect(c.refused.filter((u) => !u.startsWith('https://fonts.googleapis.com/'))).toEqual([]);
  expect((await storedTokens(c.page)).local).toBe('{}');
}

const call = (token: string, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
  t.http({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

async function openGiulia(page: Page) {
  await page.getByRole('link', { name: 'Records' }).click();
  await page.getByRole('link', { name: 'Customer', exact: true }).click();
  await page.locator(`a[href="/console/records/customers/${giuliaId}"]`).click();
  await page.locator('[data-field="iban"]').waitFor();
}

describe('the console end to end', () => {
  it('a privacy officer finds who read a customer, approves an IBAN request until expiry, disables a leaver and answers an access request; an assistant sees masks', { timeout: 600_000 }, async () => {
    // 1. Before: the agent signs in (second context) and, with the provider's token, reads
    //    Giulia through the REST API and asks to see her IBAN.
    const agent = await newContext();
    await signInThroughProvider(agent.page, base, idp.issuer, 'alice');
    const aliceToken = (await storedTokens(agent.page)).session!;
    expect(aliceToken).toMatch(/^ey/);
    const read = await call(aliceToken, `/v1/customers/${giuliaId}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().fullName).toBe('Giulia Marchetti');
    expect(read.json()._access.masked).toEqual(['phone']);
    expect(read.json()._access.withheld).toContain('iban');
    const asked = await call(aliceToken, '/v1/access-requests', 'POST', { resource: 'Customer', id: giuliaId, fields: ['iban'], reason: 'Refund to her account', minutes: 5 });
    expect(asked.statusCode, asked.body).toBe(201);
    const requestId = asked.json().id as string;

    // The leaver has used the service (so the People page lists them).
    const leaver = await newContext();
    await signInThroughProvider(leaver.page, base, idp.issuer, 'lee');
    const leeToken = (await storedTokens(leaver.page)).session!;
    expect((await call(leeToken, '/v1/customers?limit=1')).statusCode).toBe(200);
    await clean(leaver);
    await leaver.context.close();

    // 2. The privacy officer signs in through OIDC in a first context.
    const officer = await newContext();
    const page = officer.page;
    await page.setViewportSize({ width: 1280, height: 900 });
    await signInThroughProvider(page, base, idp.issuer, 'dora');

    // 3. Records -> Giulia -> Who saw this: alice's read, the phone masked.
    await openGiulia(page);
    await page.getByRole('link', { name: 'Who saw this' }).click();
    await page.getByRole('heading', { name: 'Who saw this' }).waitFor();
    const alicesRead = page.locator('tr[data-actor="alice"][data-action="read"]');
    await alicesRead.first().waitFor();
    expect(await alicesRead.count()).toBe(1);
    expect(await alicesRead.locator('[data-kind="masked"]').innerText()).toBe('masked: phone');
    expect(await alicesRead.innerText()).toContain('agent');
    // alice's history names the customer she read.
    await alicesRead.getByRole('link', { name: 'alice' }).click();
    await page.getByRole('heading', { name: 'History of alice' }).waitFor();
    await page.locator(`table.customers-read tr[data-id="${giuliaId}"]`).getByText('Giulia Marchetti').waitFor();
    // People: approve alice's pending request to see the IBAN.
    await page.getByRole('link', { name: 'People' }).click();
    const request = page.locator(`li[data-request="${requestId}"]`);
    await request.getByText('alice asks to see iban').waitFor();
    await request.getByLabel('Note (optional)').fill('Refund approved');
    await request.getByRole('button', { name: 'Approve' }).click();
    await request.getByRole('button', { name: 'Revoke' }).waitFor();

    // 4. The agent sees the IBAN in clear under the grant, and withheld again once it expires.
    await openGiulia(agent.page);
    const iban = agent.page.locator('[data-field="iban"]');
    await expect.poll(() => iban.getAttribute('data-state'), { timeout: BROWSER_WAIT_MS }).toBe('revealed');
    expect(await iban.locator('dd').innerText()).toContain(GIULIA_IBAN);
    expect((await iban.locator('.badge.revealed').innerText()).toLowerCase()).toBe('granted');
    shift += 6 * 60_000;
    await agent.page.reload();
    await iban.waitFor();
    await expect.poll(() => iban.getAttribute('data-state'), { timeout: BROWSER_WAIT_MS }).toBe('withheld');
    expect((await iban.locator('dd').innerText()).trim().toLowerCase()).toBe('withheld');
    expect(await agent.page.locator('body').innerText()).not.toContain(GIULIA_IBAN);
    await clean(agent);

    // 5. The privacy officer disables the leaver: lee's next call is refused.
    await disableFromPeople(page, 'lee', 'Left the company');
    const refusedCall = await call(leeToken, '/v1/customers?limit=1');
    expect(refusedCall.statusCode).toBe(401);
    expect(refusedCall.json().code).toBe('PRINCIPAL_DISABLED');

    // 6. Giulia's subject access report, with alice named under who has seen her data.
    await openSubjectAccessReport(page, 'Giulia Marchetti');
    expect(await page.locator('.report [data-field="fullName"] dd').first().innerText()).toBe('Giulia Marchetti');
    const seen = page.locator('.seen-by tr[data-sub="alice"]');
    await seen.waitFor();
    expect(await seen.innerText()).toContain('agent');
    await clean(officer);
    expect(officer.consoleProblems).toEqual([]);

    // 7. An assistant sees masks, and no People, Privacy, Policy or View as.
    const assistant = await newContext();
    await signInThroughProvider(assistant.page, base, idp.issuer, 'rita');
    await expect.poll(() => assistant.page.locator('td[data-field="email"]').count(), { timeout: BROWSER_WAIT_MS }).toBeGreaterThan(0);
    expect(await assistant.page.locator('td[data-field="email"]').first().locator('.badge.masked').innerText()).toMatch(/masked/i);
    expect(await assistant.page.locator('td[data-field="phone"]').first().locator('.badge.masked').innerText()).toMatch(/masked/i);
    for (const name of ['People', 'Privacy', 'Policy', 'View as']) expect(await assistant.page.getByRole('link', { name, exact: true }).count(), name).toBe(0);
    await clean(assistant);
    expect(assistant.consoleProblems).toEqual([]);
    expect(agent.consoleProblems).toEqual([]);
  });
});
