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

const isGraphQL = (url: string) => url === `${base}/graphql`;

describe('GraphiQL in Chromium, offline', () => {
  it('is served with a CSP that allows this origin only', async () => {
    const csp = (await t.http({ url: '/graphiql' })).headers['content-security-policy'];
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).not.toMatch(/https?:|unpkg/);
  });

  it('asks for a token first, then loads the schema and runs a query, without leaving 127.0.0.1', { timeout: 180_000 }, async () => {
    const { page, context, requested, refused, problems } = await offlinePage(browser);
    const graphqlAuth: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (isGraphQL(request.url())) graphqlAuth.push(request.headers().authorization);
    });
    try {
      await page.goto(`${base}/graphiql`);
      const tokenField = page.getByLabel('Bearer token');
      await tokenField.waitFor();
      // Nothing asked of /graphql yet: no 401 for a first screen.
      expect(graphqlAuth).toEqual([]);

      const token = await t.token('alice', 'agent');
      const schema = page.waitForResponse((r) => isGraphQL(r.url()) && (r.request().postData() ?? '').includes('__schema'));
      await tokenField.fill(token);
      await page.getByRole('button', { name: 'Open GraphiQL' }).click();
      expect((await schema).status()).toBe(200);

      const execute = page.locator('.graphiql-execute-button');
      await execute.waitFor();
      const run = page.waitForResponse((r) => isGraphQL(r.url()) && (r.request().postData() ?? '').includes('customers'));
      await execute.click();
      const response = await run;
      expect(response.status()).toBe(200);
      const { data } = (await response.json()) as { data: { customers: { nodes: Array<{ fullName: string; phone: string }> } } };
      expect(data.customers.nodes).toHaveLength(5);
      // The result pane shows what came back.
      const result = page.locator('.result-window');
      await expect.poll(() => result.innerText(), { timeout: BROWSER_WAIT_MS }).toContain(data.customers.nodes[0]!.fullName);

      expect(graphqlAuth.length).toBeGreaterThanOrEqual(2);
      expect(graphqlAuth.every((a) => a === `Bearer ${token}`)).toBe(true);
      expect(refused).toEqual([]);
      expect(requested.filter((url) => new URL(url).hostname !== '127.0.0.1')).toEqual([]);
      expect(requested.some((url) => url.endsWith('/graphiql/vendor/graphiql.min.js'))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
