import type { FastifyInstance } from 'fastify';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

type Document = { paths: Record<string, Record<string, any>> } & Record<string, any>;

/** `GET /v1/customers/{id}`, for every operation an OpenAPI document lists. */
export const documentedRoutes = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((k) => METHODS.includes(k))
      .map((k) => `${k.toUpperCase()} ${path}`),
  );

/** The same for the routes the server registered (API, health and metrics; not docs, GraphQL or HEAD). */
export const servedRoutes = (app: FastifyInstance) =>
  app.registeredRoutes.filter((op) => / \/(v1\/|healthz|readyz|metrics$)/.test(op) && !op.startsWith('HEAD ')).map((op) => op.replace(/:([A-Za-z]+)/g, '{$1}'));

/**
 * Parameters Swagger UI's "Try it out" would fill in and send on its own: any header with
 * an example or default (an example X-Purpose landed in the audit trail as a purpose
 * nobody gave), and any optional parameter with an example.
 */
export function prefilledParameters(doc: Document): string[] {
  const resolve = (p: { $ref?: string }): Record<string, any> => (p.$ref ? p.$ref.split('/').slice(1).reduce((o: any, k) => o[k], doc) : p);
  const offenders: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops).filter(([k]) => METHODS.includes(k))) {
      for (const p of [...(ops.parameters ?? []), ...(op.parameters ?? [])].map(resolve)) {
        const examples = [p.example, p.examples, p.schema?.example, p.schema?.examples].filter((e) => e !== undefined && JSON.stringify(e) !== '{}');
        const prefilled = p.in === 'header' ? [...examples, p.schema?.default].filter((e) => e !== undefined) : p.required ? [] : examples;
        if (prefilled.length > 0) offenders.push(`${method.toUpperCase()} ${path} ${p.in} ${p.name}`);
      }
    }
  }
  return offenders;
}
