import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (.ci/run installs it): Playwright's own browser downloads cannot run here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Waits are on conditions, never fixed sleeps, and generous: two cores shared by two
 * test files, a database and Chromium make a slow first paint normal, not a failure.
 */
export const BROWSER_WAIT_MS = 60_000;

export async function launchChromium(): Promise<Browser> {
  // A missing browser fails the test rather than skipping it: a skip would hide a broken page.
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: BROWSER_WAIT_MS });
}

export interface OfflinePage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for, loopback or not. */
  requested: string[];
  /** Requests to any host but 127.0.0.1: each one was made to fail, as offline. */
  refused: string[];
  /** Console errors and uncaught exceptions (CSP violations show up here). */
  problems: string[];
}

/**
 * A fresh browser context in which only 127.0.0.1 answers: a request to any other host
 * fails the way it does on a machine without network, and is recorded, so a page that
 * still pulls something from a CDN is caught whether or not it would have worked.
 */
export async function offlinePage(browser: Browser): Promise<OfflinePage> {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  context.setDefaultTimeout(BROWSER_WAIT_MS);
  const requested: string[] = [];
  const refused: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).hostname === '127.0.0.1') return route.continue();
    refused.push(url);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, context, requested, refused, problems };
}
