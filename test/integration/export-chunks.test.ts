import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Five ids per audit event, so the twelve demo customers leave in three chunks: the
// `export` event names the first five, two `export.records` events the next five and two.
let t: TestApp;
let body: Buffer;
let fileIds: string[];
let ledger: Array<{ event_id: string; action: string; details: Record<string, unknown>; resource_ids: string[] }>;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const as = async (sub: string, role: string) => ({ authorization: `Bearer ${await t.token(sub, role)}` });

beforeAll(async () => {
  t = await startTestApp({ EXPORT_AUDIT_CHUNK: '5', RATE_LIMIT_MAX: '0' });
  const res = await t.http({ url: '/v1/customers/export?format=ndjson', headers: { ...(await as('root', 'admin')), 'x-request-id': 'chunked-export' } });
  expect(res.statusCode, res.body).toBe(200);
  body = res.rawPayload;
  fileIds = res.body.trim().split('\n').map((line) => JSON.parse(line).id as string);
  const { rows } = await t.database.query(`select event_id::text, action, details, resource_ids from audit_events where request_id = 'chunked-export' order by seq`);
  ledger = rows;
});
afterAll(() => t?.close());

describe('an export audited in chunks', () => {
  it('names the first chunk in the export event and each further chunk in an export.records event pointing back at it', () => {
    expect(fileIds).toHaveLength(12);
    const [started, second, third, completed, ...more] = ledger;
    expect(more).toEqual([]);
    expect(started).toMatchObject({ action: 'export', details: { format: 'ndjson', rows: 5, continued: true } });
    expect(started!.resource_ids).toEqual(fileIds.slice(0, 5));
    expect(second).toMatchObject({ action: 'export.records', details: { format: 'ndjson', exportEventId: started!.event_id, part: 1, rows: 5 } });
    expect(second!.resource_ids).toEqual(fileIds.slice(5, 10));
    expect(third).toMatchObject({ action: 'export.records', details: { exportEventId: started!.event_id, part: 2, rows: 2 } });
    expect(third!.resource_ids).toEqual(fileIds.slice(10));
    expect(completed).toMatchObject({ action: 'export.completed', details: { rows: 12, bytes: body.length, sha256: sha256(body), exportEventId: started!.event_id } });
  });

  it('lets a person find which records a file held: the ids of its export and export.records events', async () => {
    const { rows } = await t.database.query(
      `with file as (select details->>'exportEventId' as export_id from audit_events where action = 'export.completed' and details->>'sha256' = $1)
       select r.id from file, audit_events e, unnest(e.resource_ids) as r(id)
       where (e.action = 'export' and e.event_id::text = file.export_id) or (e.action = 'export.records' and e.details->>'exportEventId' = file.export_id)
       order by r.id`,
      [sha256(body)],
    );
    expect(rows.map((r) => r.id)).toEqual([...fileIds].sort());
  });

  it("shows a customer of the last chunk the export in their subject access report, with the file's hash", async () => {
    const last = fileIds[11]!;
    const res = await t.http({ url: `/v1/subjects/customers/${last}/access-report`, headers: await as('dana', 'dpo') });
    expect(res.statusCode, res.body).toBe(200);
    const exported = res.json().seenBy.accesses.filter((a: { action: string }) => a.action === 'export');
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({ eventId: ledger[0]!.event_id, who: { sub: 'root' }, recordIds: [last] });
    expect(exported[0].export).toEqual({ format: 'ndjson', status: 'completed', rows: 12, bytes: body.length, sha256: sha256(body) });
  });

  it('counts every chunk in the incident scope and the per-person report', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const scope = await t.http({ url: `/v1/incidents/scope?actor=root&from=${from}&to=${to}`, headers: await as('dana', 'dpo') });
    expect(scope.statusCode, scope.body).toBe(200);
    expect(scope.json().exports).toEqual([expect.objectContaining({ actor: 'root', format: 'ndjson', status: 'completed', rows: 12, sha256: sha256(body) })]);
    expect(scope.json().counts.subjects).toBe(12);
    const report = await t.http({ url: '/v1/audit/report?actor=root', headers: await as('eve', 'auditor') });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json().customers).toEqual({ count: 12, ids: [...fileIds].sort() });
    expect(report.json().exports).toEqual([expect.objectContaining({ format: 'ndjson', status: 'completed', rows: 12 })]);
  });

  it('keeps the chain verifiable', async () => {
    const res = await t.http({ url: '/v1/audit/verify', headers: await as('eve', 'auditor') });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, firstBroken: null });
  });
});
