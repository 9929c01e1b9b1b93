import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/data/demo-data.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let assistant: string;
let admin: string;
let ids: string[];
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '0' });
  assistant = await t.token('sara', 'assistant');
  admin = await t.token('root', 'admin');
  ids = (await t.database.query('select id from customers')).rows.map((r) => r.id as string);
});
afterAll(() => t?.close());

/** Values an assistant may never see in clear: everything but names (README's table). */
const secrets = () =>
  DEMO_CUSTOMERS.flatMap((c) => [c.email, c.phone, c.address, c.iban, c.taxId, c.notes]).filter(
    (v): v is string => typeof v === 'string' && v.length > 6,
  );

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '..', '%00', "' or 1=1 --", '$where', '__proto__', 'null', '-1', '1e309'));
const id = () => fc.oneof(text, fc.constantFrom(...ids), fc.uuid());
const query = fc.dictionary(
  fc.oneof(fc.constantFrom('limit', 'cursor', 'sort', 'format', 'after', 'actor', 'from', 'to', 'filter[email]', 'filter[iban]', 'outcome'), fc.string({ maxLength: 12 })),
  fc.oneof(text, fc.integer().map(String)),
  { maxKeys: 4 },
);
const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('fullName', 'email', 'phone', 'iban', 'notes', 'assignees', 'privacyLevel', 'principal', 'resource', 'id', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 })));

/** Every REST route the app registered, with `:id` filled in. */
const routes = () =>
  t.app.registeredRoutes
    .filter((r) => r.startsWith('GET /v1') || r.startsWith('POST /v1') || r.startsWith('PATCH /v1') || r.startsWith('DELETE /v1'))
    .map((r) => r.split(' ') as [string, string]);


describe('random requests to every route', () => {
  it('never answer 500, and never show an assistant a value it may not read in clear', async () => {
    const all = [...new Set(routes().map((r) => r.join(' ')))].map((r) => r.split(' ') as [string, string]);
    expect(all.length).toBeGreaterThan(5);
    const request = fc.record({ route: fc.nat(), id: id(), query, body, token: fc.constantFrom('assistant', 'admin') });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, template] = all[r.route % all.length]!;
        const path = template.replace(/:id/g, encodeURIComponent(r.id));
        const qs = new URLSearchParams(r.query as Record<string, string>).toString();
        const res = await t.http({
          method: method as 'GET',
          url: qs ? `${path}?${qs}` : path,
          headers: { authorization: `Bearer ${r.token === 'admin' ? admin : assistant}`, 'content-type': 'application/json' },
          ...(method === 'POST' || method === 'PATCH' ? { payload: JSON.stringify(r.body) } : {}),
        });
        expect(res.statusCode, `${method} ${template}`).toBeLessThan(500);
        if (r.token === 'assistant') for (const secret of secrets()) expect(res.body).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });

  it('GraphQL: random documents and variables never answer 500 nor leak to an assistant', async () => {
    const field = fc.constantFrom('id', 'fullName', 'email', 'phone', 'iban', 'taxId', 'address', 'notes', 'assignees', 'access { masked withheld }', 'nope');
    const doc = fc.record({
      fields: fc.array(field, { minLength: 1, maxLength: 5 }),
      alias: fc.boolean(),
      first: fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constant(null)),
      after: fc.oneof(text, fc.constant(null)),
      sort: fc.oneof(text, fc.constant(null)),
      id: id(),
      one: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        const selection = d.fields.map((f, i) => (d.alias && !f.includes('{') ? `a${i}: ${f}` : f)).join(' ');
        const query = d.one
          ? `query ($id: ID!) { customer(id: $id) { ${selection} } }`
          : `query ($first: Int, $after: String, $sort: String) { customers(first: $first, after: $after, sort: $sort) { nodes { ...F } } } fragment F on Customer { ${selection} }`;
        const variables = d.one ? { id: d.id } : { first: d.first, after: d.after, sort: d.sort };
        const res = await t.http({
          method: 'POST',
          url: '/graphql',
          headers: { authorization: `Bearer ${assistant}`, 'content-type': 'application/json' },
          payload: { query, variables },
        });
        expect(res.statusCode).toBeLessThan(500);
        for (const secret of secrets()) expect(res.body).not.toContain(secret);
      }),
      { numRuns: 200 },
    );
  });
});
