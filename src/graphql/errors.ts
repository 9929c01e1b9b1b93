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
