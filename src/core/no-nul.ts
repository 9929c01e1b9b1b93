import { AppError } from '../errors.js';

/** True when any string (or key) in a JSON-like value holds a NUL character. */
export const hasNul = (value: unknown, depth = 0): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v, depth + 1));
};

/**
 * PostgreSQL text cannot hold NUL: a value carrying one would fail deep in a query with
 * a 500. Refused up front with a clear 400, for REST bodies and query strings (a hook)
 * and for GraphQL inputs (the core's input parsers).
 */
export function assertNoNul(...values: unknown[]): void {
  if (values.some((v) => hasNul(v))) throw new AppError('VALIDATION_FAILED', 'Text values must not contain NUL characters.');
}

/** The REST hook: bodies and query strings. */
export async function rejectNul(request: { body: unknown; query: unknown }): Promise<void> {
  assertNoNul(request.body, request.query);
}
