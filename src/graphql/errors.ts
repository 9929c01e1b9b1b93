import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { AppError } from '../errors.js';
import { loggableError, toAppError } from '../rest/problem.js';

type FormattedError = GraphQLFormattedError & { extensions: Record<string, unknown> };

/**
 * GraphQL's rendering of the one error type: `extensions.code` carries the same stable
 * code REST puts in its problem body. Unexpected errors lose their message (it may
 * carry data) and become INTERNAL.
 */
export function formatGraphQLError(error: GraphQLError, log: { error: (o: object, m: string) => void }): FormattedError {
  const where = { ...(error.locations ? { locations: error.locations } : {}), ...(error.path ? { path: error.path } : {}) };
  const original = error.originalError;
  if (!original || original.name === 'GraphQLError') {
    // Parse and validation errors: about the query text, safe to show.
    return { message: error.message, ...where, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  const appError = toAppError(original);
  if (!(original instanceof AppError) && appError.status >= 500) log.error({ err: loggableError(original) }, 'resolver failed');
  return { message: appError.message, ...where, extensions: { code: appError.code, ...appError.extra } };
}

interface MercuriusRequestError {
  code?: unknown;
  statusCode?: unknown;
  errors?: Array<{ name?: string; message: string; locations?: unknown }>;
}

/**
 * Mercurius wraps the problems it finds in the query itself (syntax, validation, depth,
 * CSRF, a mutation over GET) in one MER_ERR_* error carrying them in `errors`. They are
 * about the query text, so their messages are safe to show; the wrapper says the status.
 * `wellFormed`: the HTTP request was a proper GraphQL request whose document graphql
 * refused (only graphql's own errors inside), not bad parameters or a missing header.
 */
export function queryErrors(error: GraphQLError): { status: number; wellFormed: boolean; errors: FormattedError[] } | null {
  const original = error.originalError as (Error & MercuriusRequestError) | undefined;
  if (typeof original?.code !== 'string' || !original.code.startsWith('MER_ERR_')) return null;
  const status = typeof original.statusCode === 'number' && original.statusCode < 500 ? original.statusCode : 400;
  const wrapped = Array.isArray(original.errors) && original.errors.length > 0;
  const inner: Array<{ name?: string; message: string; locations?: unknown }> = wrapped ? original.errors! : [original];
  return {
    status,
    wellFormed: wrapped && original.code === 'MER_ERR_GQL_VALIDATION' && inner.every((e) => e.name === 'GraphQLError'),
    errors: inner.map((e) => ({
      message: e.message,
      ...(Array.isArray(e.locations) ? { locations: e.locations as FormattedError['locations'] } : {}),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    })),
  };
}
