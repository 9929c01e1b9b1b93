import type { FastifySchemaValidationError } from 'fastify';
import { AppError } from '../errors.js';

/** OpenAPI's names for the parts of a request fastify validates. */
const PLACES: Record<string, 'query' | 'path' | 'header'> = { querystring: 'query', params: 'path', headers: 'header' };

/** One offending request parameter, or one place in the body (RFC 9457 `errors` member). */
export type RequestError = { in: 'query' | 'path' | 'header'; parameter: string; detail: string } | { pointer: string; detail: string };

/** Names come from the caller: bounded, so a problem never grows with a hostile URL. */
const clipName = (name: string) => (name.length > 100 ? `${name.slice(0, 100)}...` : name);
const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

/**
 * Fastify's schema refusal, saying which parameter is wrong. ajv alone says "querystring
 * must NOT have additional properties", and a person in Swagger UI cannot tell which of
 * the parameters it filled in was refused.
 */
export function validationProblem(err: { message?: string; validation: FastifySchemaValidationError[]; validationContext?: string }): AppError {
  const first = err.validation[0];
  if (!first) return new AppError('VALIDATION_FAILED', err.message ?? 'The request is not valid.');
  const params = first.params as { additionalProperty?: string; missingProperty?: string };
  const extra = params.additionalProperty ?? params.missingProperty;
  const why = params.additionalProperty ? 'is not allowed' : params.missingProperty ? 'is required' : (first.message ?? 'is not valid');
  const place = PLACES[err.validationContext ?? ''];
  if (!place) {
    const pointer = clipName(`${first.instancePath}${extra === undefined ? '' : `/${extra}`}`);
    return new AppError('VALIDATION_FAILED', err.message ?? 'The body is not valid.', { errors: [{ pointer, detail: why }] satisfies RequestError[] });
  }
  const parameter = clipName(extra ?? unescapePointer(first.instancePath.replace(/^\//, '')));
  const detail = `The ${place} parameter ${parameter} ${why}.`;
  return new AppError('VALIDATION_FAILED', detail, { errors: [{ in: place, parameter, detail: why }] satisfies RequestError[] });
}

/** How a core list error's `argument` is spelled as query parameters. */
const LIST_PARAMETERS: Record<string, (field: string) => string> = {
  filter: (field) => `filter[${field}]`,
  sort: () => 'sort',
};

/**
 * The core says which list argument (`filter`, `sort`) and which fields an error is
 * about, the same for GraphQL; REST turns that into the query parameters the caller
 * sent (`filter[additionalProp1]`) and leaves the core's wording out of the body.
 */
export function listParameterErrors(error: AppError): Record<string, unknown> {
  const { argument, fields, ...rest } = error.extra as { argument?: unknown; fields?: unknown };
  const spell = typeof argument === 'string' ? LIST_PARAMETERS[argument] : undefined;
  if (!spell) return error.extra;
  const names = Array.isArray(fields) && fields.length > 0 ? (fields as string[]) : [''];
  const errors: RequestError[] = names.map((field) => ({ in: 'query', parameter: clipName(spell(field)), detail: error.message }));
  return { ...rest, ...(Array.isArray(fields) ? { fields } : {}), errors };
}
