import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS, launchChromium, offlinePage } from '../helpers/browser.js';
import { listenOnLoopback } from '../helpers/http-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let browser: Browser;
let base: string;
beforeAll(async () => {
  t = await startTestApp();
  base = await listenOnLoopback(t.app);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('Swagger UI in Chromium', () => {
  it('lists customers on the first "Try it out", sending no example as a value', { timeout: 180_000 }, async () => {
    const { page, context, requested, problems } = await offlinePage(browser);
    try {
      await page.goto(`${base}/docs/`);
      const token = await t.token('root', 'admin');
      await page.locator('button.authorize').first().click();
      await page.locator('.modal-ux input').first().fill(token);
      await page.locator('.modal-ux .auth-btn-wrapper button.authorize').first().click();
      await page.locator('.modal-ux button.btn-done').first().click();

      const operation = page.locator('#operations-customers-listCustomers');
      await operation.locator('.opblock-summary').click();
      await operation.locator('button.try-out__btn').click();
      const listed = page.waitForResponse((r) => r.url().startsWith(`${base}/v1/customers`) && r.request().method() === 'GET');
      await operation.locator('button.execute').click();
      const response = await listed;

      expect(response.status()).toBe(200);
      await expect
        .poll(() => operation.locator('.live-responses-table tr.response .response-col_status').first().innerText(), { timeout: BROWSER_WAIT_MS })
        .toContain('200');
      const sent = response.request();
      expect(sent.headers().authorization).toBe(`Bearer ${token}`);
      expect(sent.headers()).not.toHaveProperty('x-purpose');
      expect(new URL(sent.url()).search).not.toMatch(/filter|sort/);

      // The audit row of that very request: no purpose was given, so none is recorded.
      const { rows } = await t.database.query('select action, purpose from audit_events where request_id = $1', [response.headers()['x-request-id']]);
      expect(rows).toEqual([{ action: 'list', purpose: null }]);
      expect(requested.filter((url) => new URL(url).hostname !== '127.0.0.1')).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
