import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { projectFile } from '../paths.js';

/** The hand-written contract, as JSON: openapi.yaml is the source of truth. */
export const loadOpenApiDocument = (): Record<string, unknown> =>
  parseYaml(readFileSync(projectFile('openapi.yaml'), 'utf8')) as Record<string, unknown>;

/** Serves the contract at /openapi.json and Swagger UI at /docs. */
export async function docsPlugin(app: FastifyInstance) {
  const document = loadOpenApiDocument();
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => document);
}
