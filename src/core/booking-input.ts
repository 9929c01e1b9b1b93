import { z } from 'zod';
import { AppError } from '../errors.js';
import type { Policy } from '../policy/load-policy.js';
import { parseWriteBody } from './write-input.js';

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

/** Validates a create or update body (see parseWriteBody). */
export const parseBookingInput = (policy: Policy, body: unknown, mode: 'create' | 'update'): BookingInput =>
  parseWriteBody(policy, 'Booking', { writable, create: createSchema, update: updateSchema }, body, mode);

/** A booking ends after it starts; checked on the record as it will be saved. */
export function assertTimesInOrder(startsAt: string, endsAt: string): void {
  if (Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw new AppError('VALIDATION_FAILED', 'endsAt: must be after startsAt', { fields: ['endsAt'] });
  }
}
