import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketClient } from '../helpers/http-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { signDevToken } from '../helpers/tokens.js';

// Uploads against the real server process over a real socket. One upload used to freeze
// the service for good (a hook walked the request stream as if it were parsed JSON, down
// through the socket and the server); `inject` has no socket and never saw it. The
// service runs in its own process so that a frozen event loop fails this test instead of
// freezing the test runner with it.

const SECRET = 'upload-socket-tests-dev-secret-0123456789';
let database: TestDatabase;
let service: ServerProcess;
let http: ReturnType<typeof socketClient>;
let customerId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection, as embedded PGlite has: an upload that held it while its body
  // trickled in made every other request wait, then fail with 503.
  service = await startServerProcess({ DATABASE_URL: database.url, AUTH_DEV_SECRET: SECRET, DEMO_DATA: 'true', DATABASE_POOL_MAX: '1', DATABASE_CONNECT_TIMEOUT_MS: '2000' });
  http = socketClient(service.base);
  customerId = (await database.query(`select id from customers where full_name = 'Giulia Marchetti'`)).rows[0].id;
});
afterAll(async () => {
  http?.close();
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    // A frozen service cannot handle SIGTERM.
    const kill = setTimeout(() => service.child.kill('SIGKILL'), 12_000);
    await service.exited;
    clearTimeout(kill);
  }
  await database?.drop();
});

const token = (sub: string, role: string) => signDevToken({ sub, roles: [role] }, SECRET);
const uploadHeaders = async (sub: string, role: string) => ({
  authorization: `Bearer ${await token(sub, role)}`,
  'content-type': 'application/pdf',
  'x-document-title': 'Fattura',
  'x-document-category': 'invoice',
});

describe('uploads over a real socket', () => {
  it.each([
    ['root', 'admin', 201],
    ['alice', 'agent', 201],
    ['eve', 'auditor', 403],
  ])('as %s (%s) answer %i, and the service keeps answering', async (sub, role, status) => {
    const body = randomBytes(256 * 1024);
    const res = await http({ method: 'POST', url: `/v1/customers/${customerId}/documents`, headers: await uploadHeaders(sub, role), payload: body });
    expect(res.statusCode).toBe(status);
    if (status === 201) expect(res.json()).toMatchObject({ sizeBytes: body.length, category: 'invoice' });
    expect((await http('/readyz')).statusCode).toBe(200);
  });

  it('answers /readyz while an upload is still arriving, then stores it whole', async () => {
    const stream = new PassThrough();
    const pending = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${service.base}/v1/customers/${customerId}/documents`, { method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      void uploadHeaders('root', 'admin').then((headers) => {
        for (const [k, v] of Object.entries(headers)) req.setHeader(k, v);
        stream.pipe(req);
        stream.write(randomBytes(64 * 1024));
      });
    });
    // The first bytes are in; the service must still answer others meanwhile, reads
    // that need the database included, however long the client takes.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      stream.write(randomBytes(1));
      expect((await http('/readyz')).statusCode).toBe(200);
      expect((await http({ url: `/v1/customers/${customerId}`, headers: { authorization: `Bearer ${await token('bob', 'agent')}` } })).statusCode).toBe(200);
    }
    stream.end(randomBytes(64 * 1024 - 3));
    const done = await pending;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body)).toMatchObject({ sizeBytes: 128 * 1024 });
  });
});
