import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchChromium, offlinePage } from './browser.js';
import { listenOnLoopback } from './http-client.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * What the console's browser tests share: the service as `npm start` runs it in
 * development (dev tokens, no identity provider) on its own fresh database, listening on
 * loopback, with a headless Chromium; signing in through the role picker; and the width
 * check of a tablet or a laptop screen.
 */

/** Development sign-in: no identity provider, a dev secret of our own. */
export const DEV_AUTH = { AUTH_JWKS_URL: '', AUTH_ISSUER: '', AUTH_AUDIENCE: '', AUTH_DEV_SECRET: 'console-test-secret-0123456789-abcdefgh' };

/** Where the console keeps the token: the tab's sessionStorage, under this key. */
export const TOKEN_KEY = 'fieldguard.console.session';

export interface ConsoleServer {
  t: TestApp;
  /** The service's address, e.g. http://127.0.0.1:PORT. */
  base: string;
  browser: Browser;
  /** A development token from the console's own sign-in door. */
  devToken(sub: string, ...roles: string[]): Promise<string>;
  /** An API call with a token, over the socket. */
  call(token: string, url: string, method?: 'GET' | 'POST', payload?: object): ReturnType<TestApp['http']>;
  close(): Promise<void>;
}

/** The service (fresh database, demo data, `env` on top of dev sign-in) and a browser. */
export async function startConsoleServer(env: Record<string, string> = {}): Promise<ConsoleServer> {
  const t = await startTestApp({ ...DEV_AUTH, ...env });
  const base = await listenOnLoopback(t.app);
  const browser = await launchChromium();
  return {
    t,
    base,
    browser,
    devToken: async (sub, ...roles) => {
      const res = await t.http({ method: 'POST', url: '/console/dev-token', payload: { sub, roles } });
      expect(res.statusCode).toBe(200);
      return res.json().token as string;
    },
    call: (token, url, method = 'GET', payload) => t.http({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) }),
    close: async () => {
      await browser.close();
      await t.close();
    },
  };
}

/**
 * The console server of a test file: started before its tests (beforeAll), stopped after
 * (afterAll). The object is filled in when beforeAll has run, so read it inside tests and hooks.
 */
export function useConsoleServer(env: Record<string, string> = {}): ConsoleServer {
  const server = {} as ConsoleServer;
  beforeAll(async () => {
    Object.assign(server, await startConsoleServer(env));
  });
  afterAll(async () => {
    await server.close?.();
  });
  return server;
}

/** Signs in through the role picker and waits until the console says who is signed in. */
export async function signIn(page: Page, base: string, sub: string, roles: string[]): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByLabel('Your name (subject)').fill(sub);
  for (const role of roles) await page.getByRole('checkbox', { name: role, exact: true }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${sub}`).waitFor();
}

/**
 * Runs `steps` signed in as `sub` in a fresh offline context (test/helpers/browser.ts);
 * then asserts nothing was asked of another host and nothing was logged as an error (a CSP
 * violation would be), and closes the context whatever happened.
 */
export async function asSignedIn(server: ConsoleServer, sub: string, roles: string[], steps: (page: Page) => Promise<void>): Promise<void> {
  const { page, context, refused, problems } = await offlinePage(server.browser);
  try {
    await signIn(page, server.base, sub, roles);
    await steps(page);
    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
}

/** The page's widths: nothing may scroll sideways but a wide table, inside its own box. */
export const pageWidths = (page: Page) =>
  // Runs in the page (the tests' tsconfig has no DOM types).
  page.evaluate(() => {
    const root = (globalThis as unknown as { document: { scrollingElement: { scrollWidth: number; clientWidth: number } } }).document.scrollingElement;
    return { scroll: root.scrollWidth, client: root.clientWidth };
  });

export async function expectNoSidewaysScroll(page: Page, where = ''): Promise<void> {
  const widths = await pageWidths(page);
  expect(widths.scroll, `page wider than its window ${where}`).toBeLessThanOrEqual(widths.client);
}

/** What the page keeps: all of localStorage (as JSON) and the console's token in sessionStorage. */
export const storedTokens = (page: Page) =>
  // Runs in the page (the tests' tsconfig has no DOM types).
  page.evaluate((key) => {
    const window = globalThis as unknown as { localStorage: object; sessionStorage: { getItem(key: string): string | null } };
    return { local: JSON.stringify(window.localStorage), session: window.sessionStorage.getItem(key) };
  }, TOKEN_KEY);

/** On the People page: disables `sub` with a reason, and waits until their row says so. */
export async function disableFromPeople(page: Page, sub: string, reason: string): Promise<void> {
  const row = page.locator(`tr[data-sub="${sub}"]`);
  await row.getByRole('button', { name: 'Disable…' }).click();
  await row.getByLabel(`Reason to disable ${sub}`).fill(reason);
  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  await row.getByText('disabled', { exact: true }).waitFor();
}

/** From anywhere in the console: Privacy, then a customer's subject access report found by full name. */
export async function openSubjectAccessReport(page: Page, fullName: string): Promise<void> {
  await page.getByRole('link', { name: 'Privacy', exact: true }).click();
  await page.getByRole('heading', { name: 'Subject access and erasure' }).waitFor();
  await page.getByLabel('Value', { exact: true }).fill(fullName);
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  await page.getByRole('heading', { name: /Subject access report: Customer/ }).waitFor();
}
