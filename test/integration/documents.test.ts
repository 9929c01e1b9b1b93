import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../helpers/http-client.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// Documents by category: who may see, who may open, what the trail records, and the
// size limit (10 MiB round trip, 413 beyond with nothing stored).

let t: TestApp;
let giulia: string;
let vittoria: string;
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function upload(customerId: string, category: string, body: Buffer, sub = 'root', role = 'admin') {
  return t.http({
    method: 'POST',
    url: `/v1/customers/${customerId}/documents`,
    headers: { authorization: `Bearer ${await t.token(sub, role)}`, 'content-type': 'application/pdf', 'x-document-title': 'Fattura%20n.%207', 'x-document-category': category },
    payload: body,
  });
}
const get = async (url: string, sub: string, role: string) => t.http({ url, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });
const events = async (action: string) => (await t.database.query(`select * from audit_events where resource_type = 'Document' and action = $1 order by seq`, [action])).rows;

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id, full_name from customers`);
  giulia = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  vittoria = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
});
afterAll(() => t?.close());

describe('documents', () => {
  it('a 10 MiB upload downloads byte for byte, with the sha256 as ETag, and both are audited', async () => {
    const bytes = randomBytes(10 * MiB);
    const res = await upload(giulia, 'invoice', bytes);
    expect(res.statusCode).toBe(201);
    const doc = res.json();
    expect(doc).toMatchObject({ title: 'Fattura n. 7', category: 'invoice', sizeBytes: bytes.length, sha256: sha(bytes) });
    const down = await get(`/v1/documents/${doc.id}/content`, 'bob', 'agent');
    expect(down.statusCode).toBe(200);
    expect(down.headers.etag).toBe(`"${sha(bytes)}"`);
    expect(down.rawPayload.equals(bytes)).toBe(true);
    const [up] = await events('upload');
    expect(up).toMatchObject({ outcome: 'allowed', resource_ids: [doc.id], details: { category: 'invoice', sha256: sha(bytes), sizeBytes: bytes.length } });
    expect((await events('download')).at(-1)).toMatchObject({ actor_sub: 'bob', resource_ids: [doc.id], details: { category: 'invoice', sha256: sha(bytes) } });
  }, 60_000);

  // A download reads the next chunk while it writes this one: a client leaving, or the
  // document going, in the middle must neither crash the service nor end as a clean short file.
  it('a download cut short by the client, or by the document going, leaves the service serving', async () => {
    const bytes = randomBytes(4 * MiB + 7); // five chunks
    const doc = (await upload(giulia, 'invoice', bytes)).json();
    const base = await listenOnLoopback(t.app);
    const authorization = `Bearer ${await t.token('root', 'admin')}`;
    /** Reads until `after` bytes arrived, runs `then`, and says how the response ended and how much came. */
    const partial = (after: number, then: (req: ReturnType<typeof request>) => Promise<void> | void) =>
      new Promise<{ ended: 'complete' | 'aborted'; bytes: number }>((resolve) => {
        const req = request(`${base}/v1/documents/${doc.id}/content`, { headers: { authorization } }, (res) => {
          let got = 0;
          let acted = false;
          res.on('data', (c: Buffer) => {
            got += c.length;
            if (got >= after && !acted) {
              acted = true;
              res.pause();
              void Promise.resolve(then(req)).then(() => res.resume());
            }
          });
          res.on('end', () => resolve({ ended: res.complete ? 'complete' : 'aborted', bytes: got }));
          res.on('aborted', () => resolve({ ended: 'aborted', bytes: got }));
          res.on('error', () => resolve({ ended: 'aborted', bytes: got }));
        });
        req.on('error', () => undefined);
        req.end();
      });
    const left = await partial(1, (req) => void req.destroy());
    expect(left.ended).toBe('aborted');
    const whole = await get(`/v1/documents/${doc.id}/content`, 'root', 'admin');
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    // The bytes erased while a download runs: the service finds the next chunk gone and
    // the response breaks off short of its length. The chunks go before the request
    // (after the first one, so the download starts): deleting them once the first bytes
    // arrived raced the service, which may already have sent the whole file into the
    // loopback socket's buffers.
    await t.database.query(`delete from document_chunks where document_id = $1 and seq > 0`, [doc.id]);
    const gone = await partial(1, () => undefined);
    expect(gone.ended).toBe('aborted');
    expect(gone.bytes).toBeLessThan(bytes.length);
    expect((await get('/readyz', 'root', 'admin')).statusCode).toBe(200);
  }, 60_000);

  it('refuses an upload over the limit with 413 and stores nothing', async () => {
    const before = (await t.database.query(`select count(*)::int as n from documents`)).rows[0].n;
    const res = await upload(giulia, 'invoice', Buffer.alloc(10 * MiB + 1, 1));
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect((await t.database.query(`select count(*)::int as n from documents`)).rows[0].n).toBe(before);
  }, 60_000);

  it('agents open invoices; a contract does not exist for them, even by id', async () => {
    const contract = (await upload(giulia, 'contract', Buffer.from('terms'))).json();
    expect((await get(`/v1/documents/${contract.id}`, 'bob', 'agent')).statusCode).toBe(404);
    expect((await get(`/v1/documents/${contract.id}/content`, 'bob', 'agent')).statusCode).toBe(404);
    const denied = (await events('download')).at(-1);
    expect(denied).toMatchObject({ outcome: 'denied', actor_sub: 'bob', details: { category: 'contract', sha256: sha(Buffer.from('terms')) } });
    const listed = (await get(`/v1/customers/${giulia}/documents`, 'bob', 'agent')).json();
    expect(listed.items.map((d: { category: string }) => d.category)).not.toContain('contract');
    expect((await get(`/v1/documents/${contract.id}/content`, 'carol', 'manager')).body).toBe('terms');
  });

  it('assistants see invoice titles only and may not open them (403 with the reason)', async () => {
    const invoice = (await upload(giulia, 'invoice', Buffer.from('total 10'))).json();
    const meta = (await get(`/v1/documents/${invoice.id}`, 'dora', 'assistant')).json();
    expect(meta.title).toBe('Fattura n. 7');
    expect(meta).not.toHaveProperty('sha256');
    expect(meta._access.withheld).toContain('content');
    const open = await get(`/v1/documents/${invoice.id}/content`, 'dora', 'assistant');
    expect(open.statusCode).toBe(403);
    expect(open.json().detail).toBe('Your role may see invoice titles but not open documents.');
    const refused = await upload(giulia, 'invoice', Buffer.from('x'), 'dora', 'assistant');
    expect(refused.statusCode).toBe(403);
  });

  it("confidential customers' documents follow the customer's visibility, in GraphQL too", async () => {
    const secret = (await upload(vittoria, 'invoice', Buffer.from('secret'))).json();
    expect((await get(`/v1/documents/${secret.id}`, 'bob', 'agent')).statusCode).toBe(404);
    expect((await get(`/v1/documents/${secret.id}`, 'alice', 'agent')).statusCode).toBe(200);
    const q = `query($id: ID!) { document(id: $id) { id category } customer(id: $id) { id } }`;
    const bob = await graphql(t.app, await t.token('bob', 'agent'), q, { id: secret.id });
    expect(bob.body.data!.document).toBeNull();
    const nested = await graphql(t.app, await t.token('alice', 'agent'), `query($id: ID!) { customer(id: $id) { documents { id category access { withheld } } } }`, { id: vittoria });
    expect(nested.body.data!.customer.documents).toEqual([{ id: secret.id, category: 'invoice', access: { withheld: [] } }]);
  });

  it('only admins delete; the deletion names the document', async () => {
    const doc = (await upload(giulia, 'other', Buffer.from('old'))).json();
    expect((await t.http({ method: 'DELETE', url: `/v1/documents/${doc.id}`, headers: { authorization: `Bearer ${await t.token('carol', 'manager')}` } })).statusCode).toBe(403);
    expect((await t.http({ method: 'DELETE', url: `/v1/documents/${doc.id}`, headers: { authorization: `Bearer ${await t.token('root', 'admin')}` } })).statusCode).toBe(204);
    expect((await events('delete')).at(-1)).toMatchObject({ outcome: 'allowed', details: { category: 'other' } });
  });

  it('audits a document list even when the customer has none the caller may see, in REST and GraphQL', async () => {
    const { rows } = await t.database.query(`select id from customers where full_name = 'Marco Esposito'`);
    const empty = rows[0].id as string;
    const before = (await t.database.query(`select count(*)::int as n from audit_events where resource_type = 'Document' and action = 'list'`)).rows[0].n;
    const rest = await get(`/v1/customers/${empty}/documents`, 'alice', 'agent');
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).toEqual({ items: [], nextCursor: null });
    const gql = await graphql(t.app, await t.token('alice', 'agent'), 'query($id: ID!) { customer(id: $id) { documents { id } } }', { id: empty });
    expect(gql.body.data?.customer.documents).toEqual([]);
    const after = (await t.database.query(`select * from audit_events where resource_type = 'Document' and action = 'list' order by seq offset $1`, [before])).rows;
    expect(after.map((e) => [e.channel, e.outcome, e.resource_ids, e.details])).toEqual([
      ['rest', 'allowed', [], { customerIds: [empty] }],
      ['graphql', 'allowed', [], { customerIds: [empty] }],
    ]);
  });
});
