import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { projectFile } from '../../src/paths.js';
import { BROWSER_WAIT_MS, offlinePage } from '../helpers/browser.js';
import { asSignedIn, expectNoSidewaysScroll, openSubjectAccessReport, signIn as signInAt, useConsoleServer } from '../helpers/console-browser.js';

// The Privacy and Access review pages in headless Chromium over a real service and
// database (default policy, demo data): a privacy officer answers Giulia Marchetti's
// access request, erases a customer (after a legal hold refused it), reads the retention
// dry run, the record of processing and a breach's scope; an auditor reviews access and
// signs it off; an assistant gets no Privacy page. CONSOLE_SCREENSHOTS=1 also writes the
// screenshots of docs/console/.

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1';

const s = useConsoleServer();

const devToken = (sub: string, ...roles: string[]) => s.devToken(sub, ...roles);
const call = (token: string, url: string, method: 'GET' | 'POST' = 'GET', payload?: object) => s.call(token, url, method, payload);
const signIn = (page: Page, sub: string, roles: string[]) => signInAt(page, s.base, sub, roles);

/** The downloaded file's text, after clicking the button that makes it. */
async function downloaded(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(path!, 'utf8') };
}

async function shoot(page: Page, name: string, selector?: string) {
  if (!SCREENSHOTS) return;
  // The viewport (1280 px wide), scrolled to the part shown: whole pages are too heavy for the docs.
  if (selector) await page.locator(selector).first().evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: projectFile('docs', 'console', name) });
}


describe('the Privacy page', () => {
  it('lets a privacy officer answer an access request, erase a customer, and read retention, inventory and a breach scope', { timeout: 300_000 }, async () => {
    const admin = await devToken('setup-admin', 'admin');
    const agent = await devToken('alice', 'agent');
    const giulia = ((await call(admin, `/v1/customers?filter[fullName]=${encodeURIComponent('Giulia Marchetti')}`)).json().items as Array<{ id: string }>)[0]!.id;
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
    const booked = await call(admin, '/v1/bookings', 'POST', { customerId: giulia, staffSub: 'sara', service: 'Balayage', startsAt: day(4), endsAt: day(4.1) });
    expect(booked.statusCode, booked.body).toBe(201);
    // An agent reads her record through the API before she asks: the report must name them.
    expect((await call(agent, `/v1/customers/${giulia}`)).statusCode).toBe(200);
    const created = await call(admin, '/v1/customers', 'POST', { fullName: 'Erin Erasable', email: 'erin.erasable@example.com', phone: '+39 333 000 1111' });
    expect(created.statusCode, created.body).toBe(201);
    const erin = created.json().id as string;

    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await signIn(page, 'dora', ['dpo']);
      // Giulia's subject access report: found by her name, her booking, and who saw her data.
      await openSubjectAccessReport(page, 'Giulia Marchetti');
      expect(await page.locator('.report [data-field="fullName"] dd').first().innerText()).toBe('Giulia Marchetti');
      expect(await page.locator('.report [data-field="iban"]').first().getAttribute('data-state')).toBe('clear');
      await page.locator('[data-children="Booking"]').getByText('Balayage').waitFor();
      const seen = page.locator('.seen-by tr[data-sub="alice"]');
      await seen.waitFor();
      expect(await seen.innerText()).toContain('agent');
      await shoot(page, 'privacy-subject-access-1280.png', '#subject');

      // The printable version: the service's own HTML report, fetched with the token and downloaded.
      const printable = await downloaded(page, 'Printable version (.html)');
      expect(printable.name).toBe(`subject-access-Customer-${giulia}.html`);
      expect(printable.text).toContain('<h1>Personal data report</h1>');
      expect(printable.text).toContain('Giulia Marchetti');
      expect(printable.text).toContain('Who has seen your data');
      expect(printable.text).toContain('alice');
      // "Print this page" prints the report alone: navigation, search and the other duties stay off paper.
      const offPaper = ['.top', '.privacy .actions', '#retention', '#inventory', '#breach'];
      for (const selector of offPaper) expect(await page.locator(selector).first().isVisible(), selector).toBe(true);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.report').first().isVisible()).toBe(true);
      for (const selector of offPaper) expect(await page.locator(selector).first().isVisible(), selector).toBe(false);
      await page.emulateMedia({ media: 'screen' });

      // Erasure of the test customer: a legal hold refuses it first, in words; released, it goes.
      await page.getByLabel('Search by').selectOption('id');
      await page.getByLabel('Value', { exact: true }).fill(erin);
      await page.getByRole('button', { name: 'Find', exact: true }).click();
      await page.locator(`[data-subject="${erin}"] .report`).waitFor();
      await page.getByText('Legal hold', { exact: true }).click();
      await page.getByLabel('Reason for the hold').fill('Disputed invoice');
      await page.getByRole('button', { name: 'Place hold' }).click();
      await page.getByRole('status').getByText('Legal hold placed until released').waitFor();
      await page.getByLabel('Reason (kept with the receipt)').fill('Customer asked to be forgotten');
      await page.getByRole('button', { name: 'Erase…' }).click();
      expect(await page.getByRole('button', { name: 'Erase now' }).isDisabled()).toBe(true);
      await page.getByLabel(/To confirm, type the record id/).fill('ERASE');
      await page.getByRole('button', { name: 'Erase now' }).click();
      await page.getByRole('alert').getByText(/Not erased: a legal hold keeps this Customer/).waitFor();
      await page.getByRole('button', { name: 'Release hold' }).click();
      await page.getByRole('status').getByText('Legal hold released').waitFor();
      await page.getByLabel(/To confirm, type the record id/).fill(erin);
      await page.getByRole('button', { name: 'Erase now' }).click();
      const receipt = page.locator('.receipt');
      await receipt.getByRole('heading', { name: 'Erasure receipt' }).waitFor();
      expect(await receipt.locator('tr[data-resource="Customer"]').innerText()).toMatch(/email/);
      const seq = await receipt.locator('[data-seq]').innerText();
      const { rows } = await s.t.database.query(`select seq::text as seq, action, outcome, resource_ids from audit_events where action = 'subject.erased' and outcome = 'allowed'`);
      expect(rows).toEqual([{ seq, action: 'subject.erased', outcome: 'allowed', resource_ids: [erin] }]);
      expect(await receipt.innerText()).toContain('Customer asked to be forgotten');
      await shoot(page, 'privacy-erasure-receipt-1280.png', '.receipt');

      // Retention dry run: the default policy's one rule, nothing due on the demo data.
      const retention = page.locator('#retention tr[data-resource="Booking"]');
      await retention.waitFor();
      expect(await retention.locator('[data-due]').innerText()).toBe('0');
      expect(await retention.innerText()).toContain('delete 10y after startsAt');

      // The record of processing, as tables, and its markdown download.
      await page.getByRole('button', { name: 'Show the record of processing' }).click();
      const customers = page.locator('[data-inventory="Customer"]');
      await customers.waitFor();
      expect(await customers.locator('tbody th').allInnerTexts()).toContain('iban');
      const md = await downloaded(page, 'Download as a document (.md)');
      expect(md.text).toContain('Customer');
      await shoot(page, 'privacy-retention-inventory-1280.png', '#retention');

      // Breach scope for the agent over the last days: her read of Giulia is in it, and the chain verifies.
      await page.getByLabel('People (subjects, separated by commas)').fill('alice');
      await page.getByRole('button', { name: 'Scope', exact: true }).click();
      await page.locator('[data-count="subjects"]').waitFor();
      expect(Number(await page.locator('[data-count="subjects"]').innerText())).toBeGreaterThanOrEqual(1);
      expect(await page.locator('[data-chain]').getAttribute('data-chain')).toBe('intact');
      expect(await page.locator('.scope').innerText()).toContain(giulia);
      const csv = await downloaded(page, 'Download the notify list (.csv)');
      expect(csv.text.split('\n')[0]).toBe('resource,id,fieldsClear,firstExposure,lastExposure');
      await shoot(page, 'privacy-breach-scope-1280.png', '#breach');

      // On a tablet the page fits its width.
      await page.setViewportSize({ width: 800, height: 1000 });
      await expectNoSidewaysScroll(page);

      expect(refused).toEqual([]);
      // The browser logs the refused erasure's 409 (the hold) as a failed load: that one is expected.
      expect(problems).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
    } finally {
      await context.close();
    }
  });

  it('is not offered to an assistant, and its API refuses them', { timeout: 120_000 }, async () => {
    await asSignedIn(s, 'rita', ['assistant'], async (page) => {
      await page.getByRole('link', { name: 'Records' }).waitFor();
      expect(await page.getByRole('link', { name: 'Privacy' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Access review' }).count()).toBe(0);
      await page.goto(`${s.base}/console/privacy`);
      await page.getByText('your role does not open it').waitFor();
      const token = await devToken('rita', 'assistant');
      expect((await call(token, '/v1/retention')).statusCode).toBe(403);
    });
  });
});

describe('the Access review page', () => {
  it('lets an auditor review access, download it and sign it off', { timeout: 180_000 }, async () => {
    expect((await call(await devToken('alice', 'agent'), '/v1/customers?limit=1')).statusCode).toBe(200);
    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await signIn(page, 'aude', ['auditor']);
      expect(await page.getByRole('link', { name: 'Privacy' }).count()).toBe(0);
      await page.getByRole('link', { name: 'Access review' }).click();
      const alice = page.locator('tr[data-sub="alice"]');
      await alice.waitFor({ timeout: BROWSER_WAIT_MS });
      expect(await alice.innerText()).toContain('agent');
      const csv = await downloaded(page, 'Download (.csv)');
      expect(csv.name).toBe('access-review-90d.csv');
      expect(csv.text.split('\n')[0]).toBe('sub,roles,resource,field,grant,conditional,clearReads,maskedReads,lastUsed,finding');
      await page.getByLabel('Roles reviewed (optional, separated by commas; all when empty)').fill('agent');
      await page.getByLabel('Note', { exact: true }).fill('Quarterly review: agents keep their rights.');
      await page.getByRole('button', { name: 'Attest' }).click();
      const done = page.locator('[data-attestation]');
      await done.waitFor();
      expect(await done.innerText()).toContain('Attested by aude');
      const eventId = await done.getAttribute('data-attestation');
      const { rows } = await s.t.database.query(`select actor_sub, details from audit_events where event_id = $1`, [eventId]);
      expect(rows).toEqual([{ actor_sub: 'aude', details: { scope: { days: 90, roles: ['agent'] }, note: 'Quarterly review: agents keep their rights.' } }]);
      await shoot(page, 'access-review-1280.png', 'h1');
      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
