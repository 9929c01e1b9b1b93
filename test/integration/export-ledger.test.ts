import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../helpers/http-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const ledgerOf = async (requestId: string) => {
  const { rows } = await t.database.query(
    `select event_id, action, details, fields_clear, fields_masked, fields_withheld, resource_ids
       from audit_events where request_id = $1 order by seq`,
    [requestId],
  );
  return rows;
};

const waitFor = async <T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const found = await probe();
    if (found) return found;
  }
  throw new Error('timed out');
};

describe('the export ledger', () => {
  it.each(['csv', 'ndjson'])('records the sha256 of the exact %s bytes the client received, with rows and bytes', async (format) => {
    const requestId = `ledger-${format}`;
    const res = await t.http({
      url: `/v1/customers/export?format=${format}`,
      headers: { authorization: `Bearer ${await t.token('root', 'admin')}`, 'x-request-id': requestId },
    });
    expect(res.statusCode).toBe(200);
    const [started, completed, ...more] = await ledgerOf(requestId);
    expect(more).toHaveLength(0);
    expect(started).toMatchObject({ action: 'export', details: { format, rows: 12 } });
    expect(started.resource_ids).toHaveLength(12);
    expect(completed).toMatchObject({
      action: 'export.completed',
      details: { format, rows: 12, bytes: res.rawPayload.length, sha256: sha256(res.rawPayload), exportEventId: started.event_id },
      fields_clear: started.fields_clear,
      fields_masked: started.fields_masked,
      fields_withheld: started.fields_withheld,
    });
  });

  it('names the fields and how they were rendered', async () => {
    const [started, completed] = await ledgerOf('ledger-csv');
    expect(started.fields_clear).toEqual(expect.arrayContaining(['fullName', 'phone', 'iban']));
    expect(completed.fields_masked).toEqual([]);
  });

  it('records export.aborted with what was sent so far when the client goes away', async () => {
    // Enough rows that the file cannot fit in the socket buffers before the client leaves.
    await t.database.query(
      `insert into customers (full_name, email, notes) select 'Bulk ' || g, 'bulk' || g || '@example.com', repeat('x', 200) from generate_series(1, 20000) g`,
    );
    const { port } = new URL(await listenOnLoopback(t.app));
    const token = await t.token('root', 'admin');
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ port, path: '/v1/customers/export?format=ndjson', headers: { authorization: `Bearer ${token}`, 'x-request-id': 'ledger-abort' } }, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    expect(received).toBeGreaterThan(0);
    const aborted = await waitFor(async () => (await ledgerOf('ledger-abort')).find((e) => e.action === 'export.aborted'));
    const started = (await ledgerOf('ledger-abort')).find((e) => e.action === 'export')!;
    expect(aborted.details).toMatchObject({ format: 'ndjson', cause: 'client_disconnected', exportEventId: started.event_id });
    expect(aborted.details.bytes).toBeGreaterThanOrEqual(received);
    expect(aborted.details.rows).toBeLessThan(20_012);
    expect((await ledgerOf('ledger-abort')).some((e) => e.action === 'export.completed')).toBe(false);
  });
});
