import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GRAPHQL_LIMITS } from '../../src/graphql/limits.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

// The graphql mercurius runs (CommonJS): buildClientSchema checks types with instanceof.
const { buildClientSchema, getIntrospectionQuery } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

let t: TestApp;
let token: string;
const statements: string[] = [];
beforeAll(async () => {
  t = await startTestApp({}, { onStatement: (sql) => statements.push(sql) });
  token = await t.token('alice', 'agent');
});
afterAll(() => t?.close());
beforeEach(() => {
  statements.length = 0;
});

const nest = (field: string, n: number, leaf: string): string => (n === 0 ? leaf : `${field} { ${nest(field, n - 1, leaf)} }`);
const inline = (n: number, inner: string): string => (n === 0 ? inner : `... on Customer { ${inline(n - 1, inner)} }`);
/** Depth 10 of data: customers, nodes, seven inline fragments, id. */
const DEEP_DATA = `customers { nodes { ${inline(7, 'id')} } }`;
const DEEP_INTROSPECTION = `__schema { types { fields { type { ${nest('ofType', 8, 'name')} } } } }`;

describe('introspection outside production', () => {
  it('answers the standard introspection query that GraphiQL, codegen and graphql-inspector send', async () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
    ]) {
      const res = await graphql(t.app, token, query);
      expect(res.body.errors).toBeUndefined();
      expect(res.status).toBe(200);
      const schema = buildClientSchema(res.body.data as never);
      expect(Object.keys(schema.getQueryType()!.getFields())).toContain('customers');
      expect(schema.getType('Customer')).toBeDefined();
    }
  });

  it('still refuses introspection that fans out (types of fields of types ...)', async () => {
    const res = await graphql(t.app, token, `{ __schema { types { ${nest('fields { type', 3, 'name')}${' }'.repeat(3)} } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.message).join(' ')).toMatch(/Maximum introspection depth exceeded/);
  });

  it('refuses an introspection query deeper than its own limit', async () => {
    const res = await graphql(t.app, token, `{ __schema { queryType { ${nest('ofType', GRAPHQL_LIMITS.maxIntrospectionDepth, 'name')} } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].message).toMatch(/introspection query is nested too deeply/);
  });
});

/** A deep introspection branch must not lend its allowance to data; none of these may run SQL. */
const tricks: Array<[string, string]> = [
  ['next to a deep introspection branch', `{ ${DEEP_INTROSPECTION} ${DEEP_DATA} }`],
  ['in a fragment spread at the root beside introspection', `{ ...Root } fragment Root on Query { ${DEEP_INTROSPECTION} ${DEEP_DATA} }`],
  ['inside an inline fragment on the query root', `{ ... on Query { ${DEEP_INTROSPECTION} ${DEEP_DATA} } }`],
  ['aliased as __schema', `{ __schema: ${DEEP_DATA} }`],
  ['aliased as __type', `{ __type: ${DEEP_DATA} }`],
  ['in a second operation of the document', `query A { ${DEEP_INTROSPECTION} } query B { ${DEEP_DATA} }`],
];

describe('the depth limit on data', () => {
  it.each(tricks)('refuses a deep data query %s, before any SQL runs', async (_name, query) => {
    const res = await graphql(t.app, token, query);
    expect(res.status).toBe(400);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.map((e) => e.message).join(' ')).toMatch(/The query is nested too deeply \(depth 1[01], at most 8\)/);
    expect(statements).toEqual([]);
  });

  it('does not count a data query inside introspection: there is none to reach', async () => {
    const res = await graphql(t.app, token, `{ __type(name: "Customer") { fields { customers { nodes { id } } } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].message).toMatch(/Cannot query field "customers" on type "__Field"/);
    expect(statements).toEqual([]);
  });
});
