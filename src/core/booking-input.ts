import { assertNoNul } from './no-nul.js';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Policy } from '../policy/load-policy.js';
import { rejectMaskedValues, validationError } from './record-access.js';

const instant = z.iso.datetime({ offset: true });

/** Fields a caller may ever send; id and timestamps belong to the service. */
const writable = {
  customerId: z.uuid(),
  staffSub: z.string().trim().min(1).max(256),
  service: z.string().trim().min(1).max(200),
  startsAt: instant,
  endsAt: instant,
  status: z.enum(['booked', 'done', 'cancelled']),
  notes: z.string().max(5000).nullable(),
};

const createSchema = z.object(writable).partial().required({ customerId: true, staffSub: true, service: true, startsAt: true, endsAt: true }).strict();
const updateSchema = z.object(writable).partial().strict();

export type BookingInput = z.infer<typeof updateSchema>;

/** Validates a create or update body: unknown fields and masked values are refused. */
export function parseBookingInput(policy: Policy, body: unknown, mode: 'create' | 'update'): BookingInput {
  assertNoNul(body);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter((k) => !(k in writable));
  if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', `Unknown or read-only fields: ${unknown.join(', ')}.`, { fields: unknown });
  rejectMaskedValues({ policy }, 'Booking', body);
  const parsed = (mode === 'create' ? createSchema : updateSchema).safeParse(body);
  if (!parsed.success) throw validationError(parsed.error.issues);
  if (mode === 'update' && Object.keys(parsed.data).length === 0) {
    throw new AppError('VALIDATION_FAILED', 'The body names no field to update.');
  }
  return parsed.data;
}

/** A booking ends after it starts; checked on the record as it will be saved. */
export function assertTimesInOrder(startsAt: string, endsAt: string): void {
  if (Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw new AppError('VALIDATION_FAILED', 'endsAt: must be after startsAt', { fields: ['endsAt'] });
  }
}
