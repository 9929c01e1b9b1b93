import { assertNoNul } from './no-nul.js';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Policy } from '../policy/load-policy.js';
import { rejectMaskedValues, validationError } from './record-access.js';

/** Fields a caller may ever send; the rest (id, timestamps) belong to the service. */
const writable = {
  fullName: z.string().trim().min(1).max(200),
  email: z.email().max(254).nullable(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 ().-]{3,30}$/, 'must be a phone number')
    .nullable(),
  address: z.string().trim().max(500).nullable(),
  iban: z
    .string()
    .trim()
    .regex(/^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,34}$/, 'must be an IBAN')
    .nullable(),
  taxId: z.string().trim().min(1).max(32).nullable(),
  notes: z.string().max(5000).nullable(),
  privacyLevel: z.enum(['standard', 'confidential']),
  assignees: z.array(z.string().min(1).max(256)).max(50),
  marketingOptOut: z.boolean(),
};

const createSchema = z.object(writable).partial().required({ fullName: true }).strict();
const updateSchema = z.object(writable).partial().strict();

export type CustomerInput = z.infer<typeof updateSchema>;

/**
 * Validates a create or update body. Unknown fields are refused rather than ignored (no
 * mass assignment), and so is a masked value sent back: a client that read
 * `+39 XXX XXX XXXX` and saves the form must not overwrite the real number with it.
 */
export function parseCustomerInput(policy: Policy, body: unknown, mode: 'create' | 'update'): CustomerInput {
  assertNoNul(body);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter((k) => !(k in writable));
  if (unknown.length > 0) {
    throw new AppError('UNKNOWN_FIELD', `Unknown or read-only fields: ${unknown.join(', ')}.`, { fields: unknown });
  }
  rejectMaskedValues({ policy }, 'Customer', body);
  const parsed = (mode === 'create' ? createSchema : updateSchema).safeParse(body);
  if (!parsed.success) throw validationError(parsed.error.issues);
  if (mode === 'update' && Object.keys(parsed.data).length === 0) {
    throw new AppError('VALIDATION_FAILED', 'The body names no field to update.');
  }
  return parsed.data;
}
