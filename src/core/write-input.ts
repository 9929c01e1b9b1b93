import type { z } from 'zod';
import { AppError } from '../errors.js';
import type { Policy } from '../policy/load-policy.js';
import { assertNoNul } from './no-nul.js';
import { rejectMaskedValues, validationError } from './record-access.js';

export interface WriteSchemas<T> {
  /** Every field a caller may ever send; ids and timestamps belong to the service. */
  writable: Record<string, z.ZodType>;
  create: z.ZodType<T>;
  update: z.ZodType<T>;
}

/**
 * Validates a create or update body for any resource type. Unknown fields are refused
 * rather than ignored (no mass assignment), and so is a masked value sent back: a client
 * that read `+39 XXX XXX XXXX` and saves the form must not overwrite the real number.
 */
export function parseWriteBody<T extends object>(policy: Policy, type: string, schemas: WriteSchemas<T>, body: unknown, mode: 'create' | 'update'): T {
  assertNoNul(body);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter((k) => !(k in schemas.writable));
  if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', `Unknown or read-only fields: ${unknown.join(', ')}.`, { fields: unknown });
  rejectMaskedValues({ policy }, type, body);
  const parsed = (mode === 'create' ? schemas.create : schemas.update).safeParse(body);
  if (!parsed.success) throw validationError(parsed.error.issues);
  if (mode === 'update' && Object.keys(parsed.data).length === 0) {
    throw new AppError('VALIDATION_FAILED', 'The body names no field to update.');
  }
  return parsed.data;
}
