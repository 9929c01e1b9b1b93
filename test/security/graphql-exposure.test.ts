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
    expect((await prod.app.inject({ url: '/graphiql' })).statusCode).toBe(404);
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

describe('compiled queries (mercurius JIT compiles a query document seen before)', () => {
  it('answer a repeated query exactly as its first run: masked, withheld, hidden records and errors alike', async () => {
    const token = await dev.token('carol', 'agent');
    const confidential = (await dev.database.query(`select id from customers where privacy_level = 'confidential' order by id limit 1`)).rows[0].id;
    const query = `query($hidden: ID!) {
      customers(first: 5) { nodes { id fullName phone iban address access { masked withheld } bookings(first: 2) { nodes { id startsAt } } } }
      hidden: customer(id: $hidden) { id fullName }
    }`;
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await graphql(dev.app, token, query, { hidden: confidential }));
    const first = runs[0]!;
    expect(first.body.data!.customers.nodes.length).toBeGreaterThan(0);
    for (const node of first.body.data!.customers.nodes) {
      expect(node.phone).toMatch(/X/); // masked for an agent not on the case
      expect(node.iban).toBeNull(); // withheld
      expect(node.access.withheld).toContain('iban');
    }
    expect(first.body.data!.hidden).toBeNull();
    expect(first.body.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    for (const run of runs.slice(1)) {
      expect(run.status).toBe(first.status);
      expect(run.body).toEqual(first.body);
    }
  });
});
