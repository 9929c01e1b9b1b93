import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GRAPHQL_LIMITS } from '../../src/graphql/limits.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let token: string;
const statements: string[] = [];
beforeAll(async () => {
  t = await startTestApp({}, { onStatement: (sql) => statements.push(sql) });
  token = await t.token('root', 'admin');
});
afterAll(() => t?.close());
beforeEach(() => {
  statements.length = 0;
});

const inline = (n: number, inner: string): string => (n === 0 ? inner : `... on Customer { ${inline(n - 1, inner)} }`);
const ALL_FIELDS = 'id fullName email phone address iban taxId notes privacyLevel assignees marketingOptOut createdAt updatedAt access { masked withheld }';
const page = (alias: string, first: string) => `${alias}: customers(first: ${first}) { nodes { ${ALL_FIELDS} } pageInfo { endCursor hasNextPage } }`;

/** Each query is refused by a limit; none may run a single SQL statement. */
const refused: Array<[string, string, RegExp]> = [
  ['deeper than the limit', `{ customers { nodes { ${inline(7, 'id')} } } }`, /depth/i],
  ['deep through named fragments', `{ customers { nodes { ...A } } } fragment A on Customer { ${inline(2, '...B')} } fragment B on Customer { ${inline(5, 'id')} }`, /depth/i],
  ['with too many aliases', `{ customers { nodes { ${Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: id`).join(' ')} } } }`, /aliases/],
  ['with a field repeated', `{ customers { nodes { id id id id } } }`, /selected more than/],
  ['with too many directives', `{ customers { nodes { ${Array.from({ length: GRAPHQL_LIMITS.maxDirectives + 1 }, (_, i) => `f${i}: id @include(if: true)`).slice(0, 11).join(' ')} } } }`, /directives|aliases/],
  ['with too many tokens', `{ customers(filter: [${Array.from({ length: 150 }, () => '{field: "a", equals: "b"}').join(', ')}]) { nodes { id } } }`, /tokens/],
  ['longer than the size limit', `# ${'x'.repeat(GRAPHQL_LIMITS.maxQueryLength)}\n{ customers { nodes { id } } }`, /longer than/],
  ['too expensive (list sizes multiply)', `{ ${page('a', '100')} ${page('b', '100')} ${page('c', '100')} }`, /too expensive/],
  ['too expensive through a variable page size', `query ($n: Int) { ${page('a', '$n')} ${page('b', '$n')} ${page('c', '$n')} }`, /too expensive/],
];

describe('GraphQL limits', () => {
  it.each(refused)('refuses a query %s, before any SQL runs', async (_name, query, message) => {
    const res = await graphql(t.app, token, query);
    expect(res.status).toBe(400);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.map((e) => e.message).join(' ')).toMatch(message);
    expect(statements).toEqual([]);
  });

  it('accepts queries just inside the limits', async () => {
    const ok = [
      `{ customers { nodes { ${inline(5, 'id')} } } }`,
      `{ customers { nodes { ${Array.from({ length: GRAPHQL_LIMITS.maxAliases }, (_, i) => `a${i}: id`).join(' ')} } } }`,
      `{ customers { nodes { id id id } } }`,
      `{ ${page('a', '100')} ${page('b', '100')} }`,
    ];
    for (const query of ok) {
      const res = await graphql(t.app, token, query);
      expect(res.body.errors).toBeUndefined();
      expect(res.status).toBe(200);
    }
  });

  it('refuses batched queries (an array body) before any SQL runs', async () => {
    const res = await t.http({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify([{ query: '{ customers { nodes { id } } }' }, { query: '{ customers { nodes { id } } }' }]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('Marchetti');
    expect(statements).toEqual([]);
  });
});

describe('GraphQL over GET', () => {
  const viaGet = (query: string, headers: Record<string, string> = {}) =>
    t.http({ method: 'GET', url: `/graphql?query=${encodeURIComponent(query)}`, headers: { authorization: `Bearer ${token}`, ...headers } });

  it('refuses a GET without a CSRF-preventing header, before any SQL runs', async () => {
    const res = await viaGet('{ customers { nodes { fullName } } }');
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('Marchetti');
    expect(statements).toEqual([]);
  });

  it('serves a query over GET with the header', async () => {
    const res = await viaGet('{ customers { nodes { fullName } } }', { 'x-fieldguard-csrf': '1' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Marchetti');
  });

  it('never runs a mutation over GET', async () => {
    const res = await viaGet('mutation { deleteCustomer(id: "00000000-0000-0000-0000-000000000000") }', { 'x-fieldguard-csrf': '1' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(statements).toEqual([]);
  });

  it('refuses a simple (form or text) POST, which a browser could send cross-site', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await t.http({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        payload: 'query={ customers { nodes { id } } }',
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    expect(statements).toEqual([]);
  });
});

describe('a query that is not text', () => {
  it.each([true, 5, { kind: 'Document' }, ['{ customers { nodes { id } } }']])('is a 400 (%j), never a 500', async (query) => {
    const res = await t.http({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { query } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().errors?.[0].message ?? res.json().detail).toBeTruthy();
  });
});
