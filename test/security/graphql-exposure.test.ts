import { httpFor } from '../helpers/http-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let prod: TestApp;
let dev: TestApp;
beforeAll(async () => {
  prod = await startTestApp({ NODE_ENV: 'production' });
  dev = await startTestApp();
});
afterAll(async () => {
  await prod?.close();
  await dev?.close();
});

describe('production mode hides the schema', () => {
  it('refuses introspection', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Customer") { fields { name } } }']) {
      const res = await graphql(prod.app, await prod.token('root', 'admin'), query);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain('CustomerConnection');
      expect(res.body.errors?.[0].message).toMatch(/Introspection is disabled/);
    }
  });

  it('gives no "Did you mean" suggestions', async () => {
    const res = await graphql(prod.app, await prod.token('root', 'admin'), '{ customers { nodes { fulName phon } } }');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/Did you mean|fullName|"phone"/);
  });

  it('serves no GraphiQL', async () => {
    expect((await httpFor(prod.app)({ url: '/graphiql' })).statusCode).toBe(404);
  });

  it('serves the OpenAPI document, which spells out the model, to authenticated callers only, and no Swagger UI', async () => {
    const http = httpFor(prod.app);
    expect((await http({ url: '/openapi.json' })).statusCode).toBe(401);
    const authed = await http({ url: '/openapi.json', headers: { authorization: `Bearer ${await prod.token('dev', 'agent')}` } });
    expect(authed.statusCode).toBe(200);
    expect(authed.json().paths).toHaveProperty('/v1/customers');
    expect((await http({ url: '/docs/' })).statusCode).toBe(404);
    // Outside production both stay open, for the newcomer's first look.
    expect((await httpFor(dev.app)({ url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('still allows __typename, which reveals nothing beyond the query itself', async () => {
    const res = await graphql(prod.app, await prod.token('root', 'admin'), '{ customers(first: 1) { __typename } }');
    expect(res.status).toBe(200);
  });

  it('outside production, introspection and suggestions help the developer', async () => {
    const token = await dev.token('root', 'admin');
    expect((await graphql(dev.app, token, '{ __schema { queryType { name } } }')).status).toBe(200);
    expect(JSON.stringify((await graphql(dev.app, token, '{ customers { nodes { fulName } } }')).body)).toMatch(/Did you mean/);
  });
});

describe('masking does not depend on how a field is reached', () => {
  it('gives an assistant the same masked values plainly, by alias, by fragment, inline and nested', async () => {
    const token = await dev.token('sara', 'assistant');
    const shapes = {
      plain: '{ customers(first: 100) { nodes { fullName phone email iban } } }',
      alias: '{ customers(first: 100) { nodes { fullName p: phone e: email i: iban } } }',
      fragment: '{ customers(first: 100) { nodes { ...F } } } fragment F on Customer { fullName phone email iban }',
      inline: '{ customers(first: 100) { nodes { ... on Customer { fullName ... on Customer { phone email iban } } } } }',
      nested: '{ c: customers(first: 100) { nodes { fullName ...N } } } fragment N on Customer { ... on Customer { phone email } iban }',
    };
    const seen: Record<string, string> = {};
    for (const [name, query] of Object.entries(shapes)) {
      const res = await graphql(dev.app, token, query);
      expect(res.status).toBe(200);
      const nodes = (res.body.data!.customers ?? res.body.data!.c).nodes as Array<Record<string, string | null>>;
      const giulia = nodes.find((n) => n.fullName === 'Giulia Marchetti')!;
      const values = { phone: giulia.phone ?? giulia.p, email: giulia.email ?? giulia.e, iban: giulia.iban ?? giulia.i ?? null };
      seen[name] = JSON.stringify(values);
      expect(values).toEqual({ phone: '+39 XXX XXX XXXX', email: expect.stringMatching(/^g\*+@example\.com$/), iban: null });
    }
    expect(new Set(Object.values(seen)).size).toBe(1);
    // The one-record query masks the same way.
    const id = (await graphql(dev.app, await dev.token('root', 'admin'), '{ customers(first: 100) { nodes { id fullName } } }')).body.data!.customers.nodes.find(
      (n: { fullName: string }) => n.fullName === 'Giulia Marchetti',
    ).id;
    const one = await graphql(dev.app, token, `{ customer(id: "${id}") { ... on Customer { a: phone b: email } } }`);
    expect(JSON.stringify({ phone: one.body.data!.customer.a, email: one.body.data!.customer.b, iban: null })).toBe(seen.plain);
  });
});

describe('documents with several operations', () => {
  it('run the operation each request names, however often the same document was sent', async () => {
    const token = await dev.token('root', 'admin');
    const document = 'query Many { customers(first: 2) { nodes { id } } } query Bookings { bookings(first: 2) { nodes { id } } }';
    const ask = (operationName: string) =>
      httpFor(dev.app)({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { query: document, operationName } });
    for (let i = 0; i < 4; i++) expect(Object.keys((await ask('Many')).json().data)).toEqual(['customers']);
    expect(Object.keys((await ask('Bookings')).json().data)).toEqual(['bookings']);
    expect(Object.keys((await ask('Many')).json().data)).toEqual(['customers']);
  });
});
