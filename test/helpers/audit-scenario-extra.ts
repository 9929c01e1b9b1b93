import { request } from 'node:http';
import { expect } from 'vitest';
import { listenOnLoopback } from './http-client.js';
import { runCli } from './run-cli.js';
import type { TestApp } from './test-app.js';

/**
 * The event kinds a plain request/response cannot produce: a checkpoint written by the
 * operator CLI (no client address, channel cli), retention applied by `npm run
 * retention`, and an export the client walks away from (export.aborted). Run last: the abort needs a customer base too large to fit in
 * the socket buffers, which would swell every later list and export.
 */
export async function driveCliAndAbortedExport(t: TestApp, policyFile: string): Promise<void> {
  const cli = await runCli('audit', ['checkpoint'], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
  expect(cli.code, cli.stderr).toBe(0);
  // A booking eleven years old: the default policy's retention (ten years) deletes it.
  await t.database.query(
    `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at) select id, 'sara', 'Old visit', now() - interval '11 years', now() - interval '11 years' + interval '1 hour' from customers limit 1`,
  );
  const retention = await runCli('retention', [], { DATABASE_URL: t.database.url, POLICY_FILE: policyFile });
  expect(retention.code, retention.stderr).toBe(0);
  expect(retention.stdout).toContain('Booking: deleted 1');

  await t.database.query(
    `insert into customers (full_name, email, notes) select 'Bulk ' || g, 'bulk' || g || '@example.com', repeat('x', 1500) from generate_series(1, 4000) g`,
  );
  const { port } = new URL(await listenOnLoopback(t.app));
  const token = await t.token('root', 'admin');
  await new Promise<void>((resolve, reject) => {
    const req = request({ port, path: '/v1/customers/export?format=ndjson', headers: { authorization: `Bearer ${token}`, 'x-request-id': 'standards-abort' } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
  // The ledger records the abort once the server notices the closed socket.
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const { rows } = await t.database.query(`select 1 from audit_events where request_id = 'standards-abort' and action = 'export.aborted'`);
    if (rows.length > 0) return;
  }
  throw new Error('export.aborted was never recorded');
}
