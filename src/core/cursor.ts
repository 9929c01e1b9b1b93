import { AppError } from '../errors.js';

/** Opaque page cursors: base64url of a small JSON object, validated on the way back in. */
export function encodeCursor(position: string): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, valid: RegExp): string | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    if (cursor.length > 200) throw new Error('too long');
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const position = (parsed as { p?: unknown }).p;
    if (typeof position === 'string' && valid.test(position) && (valid !== SEQUENCE || BigInt(position) <= MAX_BIGINT)) return position;
  } catch {
    // fall through to the one error below
  }
  throw new AppError('INVALID_CURSOR', 'The cursor is not one this service issued.');
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SEQUENCE = /^[0-9]{1,19}$/;
const MAX_BIGINT = 2n ** 63n - 1n;

/** Page sizes: 1..100, default 20. */
export function pageLimit(limit: number | null | undefined): number {
  if (limit === null || limit === undefined) return 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new AppError('VALIDATION_FAILED', 'limit must be a whole number from 1 to 100.');
  }
  return limit;
}
