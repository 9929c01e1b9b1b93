import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { offlinePage } from '../helpers/browser.js';
import { expectNoSidewaysScroll, signIn as signInAt, useConsoleServer } from '../helpers/console-browser.js';

// The console's history screens over a real service and database (default policy, demo
// data): who saw a record, a person's history with names, the chain's state, View as, and
// the policy matrix with a candidate's replay. CONSOLE_SCREENSHOTS=1 also writes the
// screenshots of docs/console/.

const SHOTS = process.env.CONSOLE_SCREENSHOTS === '1';

/** Agents read the e-mail masked instead of in clear: the edit a reviewer would replay. */
const DEFAULT = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
const AGENT_READS = 'fields: [id, fullName, email, notes, privacyLevel, marketingOptOut, createdAt, updatedAt]';
const AGENT_MASKED = '      - actions: [read_masked]\n        subject: Customer\n        fields: [phone]\n';
const MASK_EMAIL = DEFAULT.replace(AGENT_READS, 'fields: [id, fullName, notes, privacyLevel, marketingOptOut, createdAt, updatedAt]').replace(
  AGENT_MASKED,
  '      - actions: [read_masked]\n        subject: Customer\n        fields: [phone, email]\n',
);

const s = useConsoleServer();
let giuliaId: string;
beforeAll(async () => {
  const { rows } = await s.t.database.query(`select id, full_name from customers`);
  giuliaId = rows.find((r: { full_name: string }) => r.full_name === 'Giulia Marchetti').id;
});

const signIn = (page: Page, sub: string, roles: string[]) => signInAt(page, s.base, sub, roles);

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `docs/console/${name}.png` });
};

describe('the console’s history, View as and Policy screens', () => {
  it('finds who read a customer, names what a person read, previews as an assistant and replays a candidate', { timeout: 240_000 }, async () => {
    expect(MASK_EMAIL).not.toContain(AGENT_READS);
    // frank is an agent assigned to no customer: he reads Giulia with her phone masked.
    const minted = await s.t.http({ method: 'POST', url: '/console/dev-token', payload: { sub: 'frank', roles: ['agent'] } });
    expect(minted.statusCode).toBe(200);
    const frank = minted.json().token as string;
    const read = await s.t.http({ url: `/v1/customers/${giuliaId}`, headers: { authorization: `Bearer ${frank}` } });
    expect(read.statusCode).toBe(200);
    expect(read.json()._access.masked).toEqual(['phone']);
    // An admin exports every customer: the file that left is known by its hash.
    const exporter = (await s.t.http({ method: 'POST', url: '/console/dev-token', payload: { sub: 'exporter', roles: ['admin'] } })).json().token as string;
    const file = await s.t.http({ url: '/v1/customers/export?format=csv', headers: { authorization: `Bearer ${exporter}` } });
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain('Giulia Marchetti');
    const fileHash = createHash('sha256').update(file.rawPayload).digest('hex');
    // A checkpoint of the chain, as `npm run audit -- checkpoint` records one.
    const checkpoint = await s.t.http({ method: 'POST', url: '/v1/audit/checkpoints', headers: { authorization: `Bearer ${exporter}` } });
    expect(checkpoint.statusCode).toBe(201);
    const { checkpoint: checkpointLine } = checkpoint.json() as { checkpoint: string };

    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await page.setViewportSize({ width: 1280, height: 900 });
      await signIn(page, 'olivia', ['admin', 'auditor']);

      // Records -> Giulia -> Who saw this: frank's read, the phone masked.
      await page.getByRole('link', { name: 'Customer', exact: true }).click();
      await page.locator(`a[href="/console/records/customers/${giuliaId}"]`).click();
      await page.getByRole('link', { name: 'Who saw this' }).click();
      await page.getByRole('heading', { name: 'Who saw this' }).waitFor();
      const franksRead = page.locator('tr[data-actor="frank"][data-action="read"]');
      await franksRead.waitFor();
      expect(await franksRead.count()).toBe(1);
      expect(await franksRead.locator('[data-kind="masked"]').innerText()).toBe('masked: phone');
      expect(await franksRead.innerText()).toContain('agent');
      expect(await franksRead.innerText()).toContain('rest');
      // The export that carried Giulia, with the hash of the file that left.
      const exported = page.locator('tr[data-actor="exporter"][data-action="export"]');
      await exported.locator('.export-file').getByText(fileHash).waitFor();
      expect(await exported.innerText()).toContain('completed');
      // The record is named as the viewer sees it (an admin: in clear).
      await page.getByText('Giulia Marchetti').first().waitFor();
      await shot(page, 'record-history-1280');

      // frank's history names the customer he read.
      await franksRead.getByRole('link', { name: 'frank' }).click();
      await page.getByRole('heading', { name: 'History of frank' }).waitFor();
      const row = page.locator(`table.customers-read tr[data-id="${giuliaId}"]`);
      await row.getByText('Giulia Marchetti').waitFor();
      await shot(page, 'person-history-1280');

      // Activity: the chain is verified intact.
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.locator('.chain-state').getByText('intact').waitFor();
      await page.locator('.chain-checkpoint').getByText(checkpointLine).waitFor();
      expect(await page.locator('.chain-checkpoint').innerText()).toContain('by exporter');
      await shot(page, 'activity-chain-1280');
      // The export in the timeline carries its file's hash, from its export.completed event.
      await page.locator('tr[data-action="export"]').getByText(fileHash).waitFor();
      await page.locator('tr[data-action="export.completed"]').getByText(fileHash).waitFor();
      expect(await page.locator('.chain-state').innerText()).toMatch(/\d+ events verified/);

      // View as an assistant: Giulia's e-mail masked, with the assistant's rule.
      await page.getByRole('link', { name: 'View as' }).click();
      await page.getByLabel('Record id').fill(giuliaId);
      await page.getByRole('checkbox', { name: 'assistant', exact: true }).check();
      await page.getByRole('button', { name: 'View', exact: true }).click();
      const email = page.locator('tr[data-field="email"]');
      await email.waitFor();
      expect(await email.getAttribute('data-decision')).toBe('masked');
      expect(await email.locator('.badge.masked').count()).toBeGreaterThan(0);
      expect(await email.locator('code').innerText()).toMatch(/^roles\.assistant\.can\[\d+\]$/);
      expect(await email.innerText()).not.toContain('giulia.marchetti@example.com');
      expect(await page.locator('tr[data-field="iban"]').getAttribute('data-decision')).toBe('withheld');
      await shot(page, 'view-as-1280');
      // As a person the service has seen: frank, with the roles of his latest call.
      await page.getByLabel('Someone the service has seen').selectOption('frank');
      expect(await page.getByLabel('Person (subject)').inputValue()).toBe('frank');
      expect(await page.getByRole('checkbox', { name: 'agent', exact: true }).isChecked()).toBe(true);
      expect(await page.getByRole('checkbox', { name: 'assistant', exact: true }).isChecked()).toBe(false);
      await page.getByRole('button', { name: 'View', exact: true }).click();
      await page.getByRole('heading', { name: /as frank \(agent\)/ }).waitFor();
      expect(await page.locator('tr[data-field="email"]').getAttribute('data-decision')).toBe('clear');
      expect(await page.locator('tr[data-field="phone"]').getAttribute('data-decision')).toBe('masked');
      expect(await page.locator('tr[data-field="phone"] code').innerText()).toMatch(/^roles\.agent\.can\[\d+\]$/);

      // Policy: the matrix, and a replay of the candidate masking agents' e-mail.
      await page.getByRole('link', { name: 'Policy', exact: true }).click();
      const matrixEmail = page.locator('table.matrix tr[data-field="email"]');
      await matrixEmail.waitFor();
      const headers = await page.locator('table.matrix thead th').allInnerTexts();
      expect(headers).toEqual(['Field', 'admin', 'agent', 'assistant', 'auditor', 'dpo', 'manager']);
      // agent (third column) reads e-mail clear, assistant masked, auditor nothing.
      expect(await matrixEmail.locator('td').nth(1).getAttribute('data-decision')).toBe('clear');
      expect(await matrixEmail.locator('td').nth(2).getAttribute('data-decision')).toBe('masked');
      expect(await matrixEmail.locator('td').nth(3).getAttribute('data-decision')).toBe('withheld');
      // The rules behind a cell, by keyboard as well as by pointer.
      await page.getByLabel('Show the rules and their conditions in each cell').check();
      expect(await matrixEmail.locator('td').nth(1).innerText()).toContain('roles.agent.can[0]');
      await page.getByLabel('Show the rules and their conditions in each cell').uncheck();
      await page.locator('h1').scrollIntoViewIfNeeded();
      await shot(page, 'policy-1280');
      await page.getByLabel('Candidate policy (YAML)').fill(MASK_EMAIL);
      await page.getByRole('button', { name: 'Replay' }).click();
      const change = page.locator('table.changes tr[data-role="agent"][data-field="Customer.email"]');
      await change.waitFor();
      // frank's one read of Giulia is the only agent read in the window.
      expect(await change.locator('td').allInnerTexts()).toEqual(['agent', 'Customer.email', 'clear -> masked', '1', '1']);
      expect(await page.locator('.replay-summary').innerText()).toMatch(/^1 read would change/);
      // The candidate's diff: what the edit changes for the role on any record, read or not.
      expect(await page.locator('table.diff tbody tr').count()).toBe(1);
      expect(await page.locator('table.diff tr[data-role="agent"][data-subject="Customer.email"] td').allInnerTexts()).toEqual(['agent', 'Customer.email', 'clear -> masked (email)', 'all records']);
      await page.getByRole('heading', { name: 'Replay a candidate' }).evaluate((h) => (h as unknown as { scrollIntoView(): void }).scrollIntoView());
      await shot(page, 'policy-replay-1280');

      // On a tablet the pages fit their width: only wide tables scroll, inside their own box.
      await page.setViewportSize({ width: 800, height: 1000 });
      const fits = () => expectNoSidewaysScroll(page);
      await fits();
      await page.goto(`${s.base}/console/history/record/Customer/${giuliaId}`);
      await page.locator('tr[data-actor="frank"]').waitFor();
      await fits();
      await page.goto(`${s.base}/console/history/person/frank`);
      await page.locator(`table.customers-read tr[data-id="${giuliaId}"]`).getByText('Giulia Marchetti').waitFor();
      await fits();

      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows an auditor, who may not read customers, the ids they were shown as not visible to them, and no View as', { timeout: 180_000 }, async () => {
    const gina = (await s.t.http({ method: 'POST', url: '/console/dev-token', payload: { sub: 'gina', roles: ['agent'] } })).json().token as string;
    expect((await s.t.http({ url: `/v1/customers/${giuliaId}`, headers: { authorization: `Bearer ${gina}` } })).statusCode).toBe(200);

    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await signIn(page, 'aude', ['auditor']);
      expect(await page.getByRole('link', { name: 'View as' }).count()).toBe(0);
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.getByLabel('Person').fill('gina');
      await page.getByRole('button', { name: 'Show' }).click();
      const ginasRead = page.locator('tr[data-action="read"]').filter({ hasText: 'gina' });
      await ginasRead.first().waitFor();
      await ginasRead.first().getByRole('link', { name: 'gina' }).click();
      await page.getByRole('heading', { name: 'History of gina' }).waitFor();
      const row = page.locator(`table.customers-read tr[data-id="${giuliaId}"]`);
      await row.getByText('not visible to you').waitFor();
      expect(await row.innerText()).toContain(giuliaId);
      expect(await row.innerText()).not.toContain('Giulia');
      // Who saw this works from the id alone.
      await row.getByRole('link', { name: 'Who saw this' }).click();
      await page.locator('tr[data-actor="gina"][data-action="read"]').waitFor();
      await page.getByRole('link', { name: 'Policy', exact: true }).click();
      await page.locator('table.matrix').waitFor();
      await page.getByText('Replaying a candidate policy needs the right to reload the policy').waitFor();
      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
