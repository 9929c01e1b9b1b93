import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaSdl } from '../../src/graphql/graphql.plugin.js';
import { loadOpenApiDocument } from '../../src/rest/docs.plugin.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The same graphql module instance mercurius uses (CommonJS), or schemas cannot be compared.
const { buildSchema, printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('contracts', () => {
  it('openapi.yaml lists exactly the REST routes the server registers', () => {
    const doc = loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).filter((k) => METHODS.includes(k)).map((k) => `${k.toUpperCase()} ${path}`),
    );
    const served = t.app.registeredRoutes
      .filter((op) => / \/(v1\/|healthz|readyz)/.test(op) && !op.startsWith('HEAD '))
      .map((op) => op.replace(/:([A-Za-z]+)/g, '{$1}'));
    expect(served.sort()).toEqual(documented.sort());
  });

  it('serves the contract at /openapi.json and Swagger UI at /docs', async () => {
    const json = await t.http({ url: '/openapi.json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(loadOpenApiDocument());
    const docs = await t.http({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('gives Swagger UI no example or default to send for a header, nor an example for an optional parameter', async () => {
    // Swagger UI's "Try it out" fills parameters with their example (or default) and sends
    // them: an example X-Purpose landed in the audit trail as a purpose nobody gave.
    const doc = (await t.http({ url: '/openapi.json' })).json() as Record<string, any>;
    const resolve = (p: { $ref?: string }): Record<string, any> => (p.$ref ? p.$ref.split('/').slice(1).reduce((o: any, k) => o[k], doc) : p);
    const offenders: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops).filter(([k]) => METHODS.includes(k))) {
        for (const p of [...(ops.parameters ?? []), ...(op.parameters ?? [])].map(resolve)) {
          const examples = [p.example, p.examples, p.schema?.example, p.schema?.examples].filter((e) => e !== undefined && JSON.stringify(e) !== '{}');
          const prefilled = p.in === 'header' ? [...examples, p.schema?.default].filter((e) => e !== undefined) : p.required ? [] : examples;
          if (prefilled.length > 0) offenders.push(`${method.toUpperCase()} ${path} ${p.in} ${p.name}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    const purpose = resolve({ $ref: '#/components/parameters/XPurpose' });
    expect(purpose.description).toMatch(/e\.g\. "Confirming tomorrow's\s+appointment"/);
  });

  it('the server runs exactly the SDL in schema.graphql', () => {
    expect(printSchema(t.app.graphql.schema)).toBe(printSchema(buildSchema(loadSchemaSdl())));
  });

  it('health endpoints answer without a token', async () => {
    expect((await t.http({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.http({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('unknown routes get a problem body, not an HTML page', async () => {
    const res = await t.http({ url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
