import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const exportAs = async (sub: string, role: string, format?: string) =>
  t.http({
    url: `/v1/customers/export${format ? `?format=${format}` : ''}`,
    headers: { authorization: `Bearer ${await t.token(sub, role)}`, 'x-request-id': `export-${sub}-${format}` },
  });

describe('bulk export is its own right', () => {
  it.each([['manager', 'carol'], ['agent', 'alice'], ['assistant', 'dora'], ['auditor', 'eve']])('is refused to %s with 403 and the reason', async (role, sub) => {
    const res = await exportAs(sub, role, 'csv');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
  });

  it('streams every customer as CSV to an admin, with a header row', async () => {
    const res = await exportAs('root', 'admin', 'csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="customers-.*\.csv"/);
    const rows = parse(res.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(12);
    const giulia = rows.find((r) => r.fullName === 'Giulia Marchetti')!;
    // A leading + would start a spreadsheet formula: such cells are prefixed with '.
    expect(giulia.phone).toBe("'+39 347 123 4567");
    expect(giulia.iban).toBe('IT60X0542811101000000123456');
    expect(rows.find((r) => r.fullName === 'Vittoria Colonna')!.assignees).toBe('alice');
  });

  it('streams NDJSON with the same rendering as a read, and audits the ids exported', async () => {
    const res = await exportAs('root', 'admin', 'ndjson');
    expect(res.statusCode).toBe(200);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(lines[0]._access).toEqual({ masked: [], withheld: [] });
    const { rows } = await t.database.query(`select * from audit_events where request_id = 'export-root-ndjson' and action = 'export'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'export', outcome: 'allowed', reason: 'format=ndjson' });
    expect([...rows[0].resource_ids].sort()).toEqual(lines.map((l) => l.id).sort());
  });

  it('refuses an unknown format with 400', async () => {
    expect((await exportAs('root', 'admin', 'xlsx')).statusCode).toBe(400);
  });
});

describe('export rules with conditions', () => {
  it('export only the records the export rule allows', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { DEFAULT_POLICY_FILE } = await import('../../src/paths.js');
    const file = join(mkdtempSync(join(tmpdir(), 'fieldguard-export-')), 'policy.yaml');
    // Managers may export, but never confidential customers.
    writeFileSync(
      file,
      readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace(
        '      - actions: [create]\n        subject: Customer\n',
        '      - actions: [create]\n        subject: Customer\n      - actions: [export]\n        subject: Customer\n        when: { privacyLevel: { ne: confidential } }\n',
      ),
    );
    const other = await startTestApp({ POLICY_FILE: file });
    try {
      // alice is a manager here and assigned to the confidential Vittoria: she sees her, but may not export her.
      const headers = { authorization: `Bearer ${await other.token('alice', 'manager')}` };
      expect((await other.http({ url: '/v1/customers?limit=100', headers })).json().items).toHaveLength(11);
      const res = await other.http({ url: '/v1/customers/export?format=ndjson', headers });
      expect(res.statusCode).toBe(200);
      const names = res.body.trim().split('\n').map((l) => JSON.parse(l).fullName);
      expect(names).toHaveLength(10);
      expect(names).not.toContain('Vittoria Colonna');
    } finally {
      await other.close();
    }
  });
});
