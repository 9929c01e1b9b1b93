import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS, offlinePage } from '../helpers/browser.js';
import { asSignedIn, pageWidths, useConsoleServer } from '../helpers/console-browser.js';

/**
 * The console's accessibility and screen sizes, page by page, over a real service and
 * database (default policy, demo data): axe-core's WCAG 2 A and AA rules (labels,
 * contrast, names) find nothing serious or critical, and its landmark rules nothing at all, on any page a privacy
 * officer or an assistant opens, at 1280x800 and on a tablet (820x1180); no page scrolls
 * sideways and the navigation stays in view; and one errand is done by keyboard alone.
 *
 * axe-core is put in the page with `page.evaluate(source)`: Playwright runs it through the
 * DevTools protocol, which the console's CSP (script-src 'self', no inline script) does
 * not govern, so the CSP stays exactly as served and the test still sees any violation.
 */

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** Landmark rules (axe files them as best practice, of moderate impact): held to none at all. */
const LANDMARK_RULES = ['landmark-one-main', 'landmark-no-duplicate-main', 'landmark-unique', 'region', 'bypass'];
const VIEWPORTS = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'tablet', width: 820, height: 1180 },
];

const s = useConsoleServer();
let giulia: string;
beforeAll(async () => {
  giulia = (await s.t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`)).rows[0].id;
  // Something for the history pages and People to show: an agent's read and request.
  const agent = await s.devToken('alice', 'agent');
  expect((await s.call(agent, `/v1/customers/${giulia}`)).statusCode).toBe(200);
  const asked = await s.call(agent, '/v1/access-requests', 'POST', { resource: 'Customer', id: giulia, fields: ['iban'], reason: 'Refund to her account', minutes: 30 });
  expect(asked.statusCode).toBe(201);
});

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical WCAG 2 A/AA violations on the page as it stands, and any landmark violation. */
async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    async ([tags, landmarks]) => {
      type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> };
      const { axe, document } = globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<AxeResult> }; document: unknown };
      const wcag = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      const landmark = await axe.run(document, { runOnly: { type: 'rule', values: landmarks }, resultTypes: ['violations'] });
      return [...wcag.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), ...landmark.violations].map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ')),
      }));
    },
    [WCAG_TAGS, LANDMARK_RULES],
  );
}

/** Each page opened by its address, with what shows it has loaded. */
interface Stop {
  path: string;
  ready: (page: Page) => Promise<unknown>;
}

const officerPages = (): Stop[] => [
  { path: '/console/records/customers', ready: (p) => p.locator('td[data-field="email"]').first().waitFor() },
  { path: `/console/records/customers/${giulia}`, ready: (p) => p.locator('[data-field="iban"]').waitFor() },
  { path: `/console/history/record/Customer/${giulia}`, ready: (p) => p.locator('tr[data-actor="alice"]').first().waitFor() },
  { path: '/console/history/person/alice', ready: (p) => p.locator(`table.customers-read tr[data-id="${giulia}"]`).getByText('Giulia Marchetti').waitFor() },
  { path: '/console/people', ready: (p) => p.locator('tr[data-sub="alice"]').waitFor() },
  { path: '/console/activity', ready: (p) => Promise.all([p.locator('.chain-state').waitFor(), p.locator('table.activity').waitFor()]) },
  { path: `/console/view-as?resource=Customer&id=${giulia}`, ready: (p) => p.getByRole('button', { name: 'View', exact: true }).waitFor() },
  { path: '/console/policy', ready: (p) => p.locator('table.matrix').first().waitFor() },
  { path: '/console/privacy', ready: (p) => p.getByRole('heading', { name: 'Subject access and erasure' }).waitFor() },
  { path: '/console/access-review', ready: (p) => p.locator('tr[data-sub="alice"]').waitFor() },
];

const assistantPages = (): Stop[] => [
  { path: '/console/records/customers', ready: (p) => p.locator('td[data-field="email"] .badge.masked').first().waitFor() },
  { path: `/console/records/customers/${giulia}`, ready: (p) => p.locator('[data-field="iban"][data-state="withheld"]').waitFor() },
  { path: '/console/records/bookings', ready: (p) => p.locator('main').getByRole('heading', { name: 'bookings' }).waitFor() },
  { path: '/console/people', ready: (p) => p.getByText('your role does not open it').waitFor() },
];

/** Every page, at each size: axe finds nothing serious, nothing scrolls sideways, the navigation is in view. */
async function visitAll(page: Page, stops: Stop[], navLinks: string[]) {
  // Everything found, page by page, then one assertion: a failure lists all there is to fix.
  const found: Record<string, Violation[]> = {};
  const tooWide: Record<string, { scroll: number; client: number; sticking: string[] }> = {};
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    for (const stop of stops) {
      await page.goto(`${s.base}${stop.path}`);
      await stop.ready(page);
      await expect.poll(() => page.getByText(/^(Loading|Verifying|Reading|Building)/).count(), { timeout: BROWSER_WAIT_MS }).toBe(0);
      const where = `${stop.path} at ${viewport.width}x${viewport.height}`;
      const violations = await seriousViolations(page);
      if (violations.length > 0) found[where] = violations;
      const widths = await pageWidths(page);
      if (widths.scroll > widths.client) tooWide[where] = { ...widths, sticking: await stickingOut(page) };
      // The navigation: every page's link is visible and inside the window's width.
      const nav = page.getByRole('navigation', { name: 'Console' });
      expect(await nav.getByRole('link').allInnerTexts(), where).toEqual(navLinks);
      for (const label of navLinks) {
        const box = await nav.getByRole('link', { name: label, exact: true }).boundingBox();
        expect(box, `${label} ${where}`).not.toBeNull();
        expect(box!.x, `${label} ${where}`).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, `${label} ${where}`).toBeLessThanOrEqual(viewport.width);
      }
    }
  }
  expect(found).toEqual({});
  // Nothing scrolls sideways but a wide table, inside its own box.
  expect(tooWide).toEqual({});
}

describe('the console’s accessibility', () => {
  it('has no serious WCAG 2 A/AA violation on any page a privacy officer opens, at 1280 px and on a tablet', { timeout: 300_000 }, async () => {
    // dora owns the salon and is its privacy officer: every page of the console opens to her.
    // No CSP violation is logged either (asSignedIn checks): axe ran without loosening the page's policy.
    await asSignedIn(s, 'dora', ['dpo', 'admin', 'manager'], (page) => visitAll(page, officerPages(), ['Records', 'People', 'Activity', 'View as', 'Policy', 'Privacy', 'Access review']));
  });

  it('has no serious WCAG 2 A/AA violation on the pages an assistant opens, at 1280 px and on a tablet', { timeout: 180_000 }, async () => {
    await asSignedIn(s, 'rita', ['assistant'], async (page) => {
      await visitAll(page, assistantPages(), ['Records']);
      // The sign-in page too, once signed out.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the fieldguard console' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });

  it('can be used by keyboard alone: sign in, reach a customer and open her record', { timeout: 180_000 }, async () => {
    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${s.base}/console`);
      await page.getByRole('heading', { name: 'Sign in to the fieldguard console' }).waitFor();
      await tabTo(page, 'Your name (subject)');
      await page.keyboard.type('kim');
      await tabTo(page, 'assistant');
      await page.keyboard.press('Space');
      await tabTo(page, 'Sign in');
      await page.keyboard.press('Enter');
      await page.getByText('Signed in as kim').waitFor();
      await page.locator('td[data-field="email"]').first().waitFor();

      // The skip link is the first stop, and leads past the navigation.
      await page.keyboard.press('Tab');
      expect(await focusedName(page)).toBe('Skip to content');
      // The resource list, then the first customer's "Open" link.
      await tabTo(page, 'Customer');
      await page.keyboard.press('Enter');
      // As after a page load: the focus is at the start of the content, and the title names the page.
      await page.waitForURL(`${s.base}/console/records/customers`);
      expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('main');
      expect(await page.title()).toBe('Records · fieldguard console');
      await tabTo(page, 'Open');
      const href = await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('href'));
      expect(href).toMatch(/^\/console\/records\/customers\/[0-9a-f-]{36}$/);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${s.base}${href}`);
      expect(await page.title()).toBe('Records · fieldguard console');
      await page.locator('[data-field="email"][data-state="masked"]').waitFor();
      expect(await page.locator('[data-field="iban"]').getAttribute('data-state')).toBe('withheld');
      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

/** The elements whose right edge passes the window's: what to fix when a page is too wide. */
function stickingOut(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type El = { tagName: string; className: string; getBoundingClientRect(): { right: number } };
    const { document } = globalThis as unknown as { document: { scrollingElement: { clientWidth: number }; querySelectorAll(s: string): Iterable<El> } };
    const width = document.scrollingElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${String(el.className)}`);
  });
}

/** The focused element's accessible name, as a screen reader would announce it (near enough). */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    type El = { id: string; tagName: string; innerText?: string; getAttribute(n: string): string | null; labels?: Array<{ innerText: string }> | null };
    const { document } = globalThis as unknown as { document: { activeElement: El | null } };
    const el = document.activeElement;
    if (!el) return '';
    const label = el.getAttribute('aria-label') ?? el.labels?.[0]?.innerText ?? el.innerText ?? '';
    return label.trim();
  });
}

/** Presses Tab until the element named `name` has the focus (at most 60 presses). */
async function tabTo(page: Page, name: string): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    if (focused === name) return;
    seen.push(focused);
  }
  throw new Error(`Tab never reached "${name}"; focus went through: ${seen.join(' | ')}`);
}
