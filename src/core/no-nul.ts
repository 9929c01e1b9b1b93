import { AppError } from '../errors.js';

/** Parsed JSON and query strings are arrays and plain objects; anything else is not ours to walk. */
const isPlainData = (value: object): boolean => {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * True when any string (or key) in parsed JSON or a parsed query string holds a NUL
 * character. Only arrays and plain objects are walked: an upload's body is the request
 * stream itself, and walking it meant walking the socket and the server behind it
 * (the event loop never came back).
 */
export const hasNul = (value: unknown, depth = 0): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object' || !isPlainData(value)) return false;
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
