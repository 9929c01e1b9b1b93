import { z } from 'zod';
import type { Policy } from '../policy/load-policy.js';
import { parseWriteBody } from './write-input.js';

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

/** Validates a create or update body (see parseWriteBody). */
export const parseCustomerInput = (policy: Policy, body: unknown, mode: 'create' | 'update'): CustomerInput =>
  parseWriteBody(policy, 'Customer', { writable, create: createSchema, update: updateSchema }, body, mode);
