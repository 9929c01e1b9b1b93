import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaSdl } from '../../src/graphql/graphql.plugin.js';
import { loadOpenApiDocument } from '../../src/rest/docs.plugin.js';
import { documentedRoutes, prefilledParameters, servedRoutes } from '../helpers/openapi-routes.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The same graphql module instance mercurius uses (CommonJS), or schemas cannot be compared.
const { buildSchema, printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('contracts', () => {
  it('openapi.yaml lists exactly the REST routes the server registers', () => {
    const documented = documentedRoutes(loadOpenApiDocument() as { paths: Record<string, Record<string, unknown>> });
    const served = servedRoutes(t.app);
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
    const offenders = prefilledParameters(doc as { paths: Record<string, Record<string, any>> });
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
