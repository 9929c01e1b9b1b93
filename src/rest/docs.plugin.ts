import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { Model } from '../model/model.js';
import { projectFile } from '../paths.js';
import { buildOpenApiDocument } from './openapi-model.js';

/** The hand-written contract, as JSON: openapi.yaml is the base of every served document. */
export const loadOpenApiDocument = (): Record<string, unknown> =>
  parseYaml(readFileSync(projectFile('openapi.yaml'), 'utf8')) as Record<string, unknown>;

/**
 * Serves the contract of the running policy's model at /openapi.json and Swagger UI at
 * /docs: openapi.yaml with the doors this model has, built once at start-up (the routes
 * are registered once too; a policy reload does not change them).
 *
 * The document spells out the model (resources, field names, enum values, data classes,
 * masks). In production it is therefore served to authenticated callers only, as
 * GraphQL introspection is refused there, and Swagger UI, which fetches it without a
 * token, is not served at all.
 */
export async function docsPlugin(app: FastifyInstance, { model, production }: { model: Model; production: boolean }) {
  const document = buildOpenApiDocument(model, loadOpenApiDocument());
  if (production) {
    app.get('/openapi.json', { schema: { hide: true }, onRequest: app.authenticate }, async () => document);
    return;
  }
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => document);
}
