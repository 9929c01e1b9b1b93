import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { offlinePage } from '../helpers/browser.js';
import { signIn, useConsoleServer } from '../helpers/console-browser.js';

/**
 * Activity's flags and the chain's state, over a real service on this file's own fresh
 * database (the chain is broken on purpose, so no other test may share it): an
 * assistant's read budget is exceeded (an anomaly) and an admin breaks glass to see an
 * IBAN, and both stand out in the timeline, in words as well as colour; then an audit row
 * is changed behind the service's back, and Activity says the chain is broken, and where.
 */

/** The default policy, with an assistant's budget small enough to exceed: 2 customers an hour, alert only. */
const policyDir = mkdtempSync(join(tmpdir(), 'console-activity-'));
const policyFile = join(policyDir, 'policy.yaml');
const policy = parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8'));
policy.roles.assistant.readBudget = { customers: 2, window: '1h', onExceed: 'alert' };
writeFileSync(policyFile, stringify(policy));

const s = useConsoleServer({ POLICY_FILE: policyFile });
afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

/** Changes audit rows as a superuser with the append-only trigger off: what an attacker with the database would do. */
const tamper = (statement: string, values: unknown[]) =>
  s.t.database.session([['begin'], ['alter table audit_events disable trigger user'], [statement, values], ['alter table audit_events enable trigger user'], ['commit']]);

const background = (row: Locator) => row.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);

describe('Activity', () => {
  it('highlights break-glass and anomalies, and says when and where the chain is broken', { timeout: 180_000 }, async () => {
    // An anomaly: the assistant reads three customers against a budget of two.
    const assistant = await s.devToken('rita', 'assistant');
    const listed = await s.call(assistant, '/v1/customers?limit=3');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toHaveLength(3);
    // Break-glass: an admin sees Giulia's IBAN at once, with a reason, without an approver.
    const admin = await s.devToken('olivia', 'admin');
    const giulia = (await s.t.database.query(`select id from customers where full_name = 'Giulia Marchetti'`)).rows[0].id as string;
    const glass = await s.call(admin, '/v1/access-requests', 'POST', { resource: 'Customer', id: giulia, fields: ['iban'], reason: 'Bank called about a disputed direct debit', minutes: 30, breakGlass: true });
    expect(glass.statusCode, glass.body).toBe(201);
    const flagged = (await s.t.database.query(`select action, actor_sub from audit_events where action in ('anomaly.bulk_access', 'access.break_glass') order by seq`)).rows;
    expect(flagged).toEqual([
      { action: 'anomaly.bulk_access', actor_sub: 'rita' },
      { action: 'access.break_glass', actor_sub: 'olivia' },
    ]);

    const { page, context, refused, problems } = await offlinePage(s.browser);
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await signIn(page, s.base, 'aude', ['auditor']);
      await page.getByRole('link', { name: 'Activity' }).click();
      await page.locator('.chain-state').getByText('intact').waitFor();

      const anomaly = page.locator('tr[data-action="anomaly.bulk_access"]');
      await anomaly.waitFor();
      expect(await anomaly.getAttribute('data-flag')).toBe('anomaly');
      // In words: the policy's budget (from this test's policy) and what was read.
      expect(await anomaly.locator('.flag-note').innerText()).toBe('ANOMALY Read budget of 2 customers per 1h exceeded. 3 records read.');
      const breakGlass = page.locator('tr[data-action="access.break_glass"]');
      expect(await breakGlass.getAttribute('data-flag')).toBe('break-glass');
      expect(await breakGlass.locator('.flag-note').innerText()).toBe('BREAK-GLASS Seen at once, without an approver: review it.');
      expect(await breakGlass.innerText()).toContain('olivia');
      // And in colour: both rows stand out from an ordinary one.
      const ordinary = page.locator('tr[data-action="list"]').first();
      const plain = await background(ordinary);
      expect(await background(anomaly)).not.toBe(plain);
      expect(await background(breakGlass)).not.toBe(plain);
      expect(await ordinary.getAttribute('data-flag')).toBeNull();
      await page.getByText('To review (highlighted): 1 break-glass, 1 anomaly.').waitFor();

      // Someone with the database rewrites who broke glass; "Verify again" finds the changed row.
      const { rows } = await s.t.database.query(`select seq::text as seq, event_id from audit_events where action = 'access.break_glass'`);
      const { seq, event_id: eventId } = rows[0] as { seq: string; event_id: string };
      await tamper(`update audit_events set actor_sub = 'framed-colleague' where seq = $1`, [seq]);
      await page.getByRole('button', { name: 'Verify again' }).click();
      const state = page.locator('.chain-state');
      await state.getByText('broken').waitFor();
      expect(await state.locator('[data-broken-seq]').innerText()).toBe(seq);
      const words = await state.innerText();
      expect(words).toContain(`The audit trail has been changed: it breaks at seq ${seq} (event ${eventId}), where content does not match its hash`);
      expect(words).toContain(`The ${Number(seq) - 1} events before it verify`);
      expect(await page.locator('section.chain').getAttribute('class')).toContain('broken');

      expect(refused).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
