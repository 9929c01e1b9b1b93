import { z } from 'zod';
import { resourceSchema } from '../model/model-document.js';

/**
 * Actions a rule may grant or deny. `read_masked` means "read through the field's mask";
 * `preview` and `reload` apply to the Policy resource itself; `erase` and `hold` to the
 * Subject resource (a person's erasure and legal hold); `audience` to a stored resource
 * (the contact list of the subjects who consented to a purpose).
 */
export const ACTIONS = ['read', 'read_masked', 'create', 'update', 'delete', 'export', 'preview', 'reload', 'erase', 'hold', 'audience'] as const;
export type Action = (typeof ACTIONS)[number];

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * A time relative to the moment the caller's ability is built: `now`, or a signed
 * offset such as `-30d`, `+12h`, `-15m`, `-90s`. Used by `after` / `before`.
 */
export const RELATIVE_TIME = /^(now|[+-]?[0-9]{1,6}[smhd])$/;
const relativeTime = z.string().regex(RELATIVE_TIME, 'must be now or an offset like -30d, +12h, -15m');

/** One field test: `field: value` (equals) or `field: { op: value }`. */
const fieldTest = z.union([
  scalar,
  z
    .object({
      eq: scalar.optional(),
      ne: scalar.optional(),
      in: z.array(scalar).optional(),
      nin: z.array(scalar).optional(),
      contains: scalar.optional(),
      /** On or after a time relative to now (timestamps): `{ after: -30d }`. */
      after: relativeTime.optional(),
      /** Strictly before a time relative to now: `{ before: +7d }`. */
      before: relativeTime.optional(),
    })
    .strict(),
]);

/** All tests of one condition must hold (AND). */
export const conditionSchema = z.record(z.string(), fieldTest);
export type ConditionSpec = z.infer<typeof conditionSchema>;

/** `when`: a named condition, one condition, or a list of alternatives (OR). */
const whenSchema = z.union([z.string(), conditionSchema, z.array(z.union([z.string(), conditionSchema])).min(1)]);
export type WhenSpec = z.infer<typeof whenSchema>;

const ruleSchema = z
  .object({
    actions: z.array(z.enum(ACTIONS)).min(1),
    subject: z.string().min(1),
    fields: z.array(z.string()).min(1).optional(),
    when: whenSchema.optional(),
    reason: z.string().min(1).optional(),
  })
  .strict();
export type RuleSpec = z.infer<typeof ruleSchema>;

/**
 * How many distinct records of each stored resource one person may read in a sliding
 * window, and what happens beyond: `block` refuses with 429, `alert` lets the data
 * through; both record an `anomaly.bulk_access` event. Every key other than `window` and
 * `onExceed` names a stored resource, by its plural (`customers: 100`) or its name
 * (`Patient: 50`), with its count; the loader checks the names and the window.
 */
const readBudgetSchema = z
  .object({
    window: z.string().min(1),
    onExceed: z.enum(['block', 'alert']),
  })
  .catchall(z.number().int().positive())
  .refine((budget) => Object.keys(budget).some((key) => key !== 'window' && key !== 'onExceed'), {
    message: 'count at least one resource, e.g. customers: 100',
  })
  .meta({
    description: 'Distinct records one person may read per window: a stored resource\'s plural (or name) with its count, e.g. { customers: 100, patients: 50, window: 1h, onExceed: block }.',
    minProperties: 3,
  });
export type ReadBudgetSpec = z.infer<typeof readBudgetSchema>;

/**
 * What a role may ask to see, for one record at a time, beyond what its rules show: the
 * fields, who approves (role names, or `$record.<field>` for the people a field of the
 * record names, such as its assignees), the longest grant, and whether break-glass (no
 * approver, a reason of real length, flagged) is allowed.
 */
const requestRuleSchema = z
  .object({
    subject: z.string().min(1),
    fields: z.array(z.string().min(1)).min(1),
    approvers: z.array(z.string().min(1)).default([]).describe('Roles, or `$record.<field>`: the subjects a field of the record names (e.g. `$record.assignees`).'),
    maxMinutes: z.number().int().min(1).max(24 * 60).describe('The longest grant an approval gives, in minutes.'),
    breakGlass: z.boolean().default(false).describe('May see at once, without an approver, giving a reason of at least 20 characters; flagged in the trail.'),
  })
  .strict();
export type RequestRuleSpec = z.infer<typeof requestRuleSchema>;

export const policyDocumentSchema = z
  .object({
    description: z.string().optional(),
    /** Each resource's fields (class, mask) and, for stored resources, its data model. */
    resources: z.record(z.string(), resourceSchema),
    conditions: z.record(z.string(), z.array(conditionSchema).min(1)).default({}),
    roles: z.record(
      z.string(),
      z
        .object({
          description: z.string().optional(),
          inherits: z.array(z.string()).default([]),
          can: z.array(ruleSchema).default([]),
          cannot: z.array(ruleSchema.required({ reason: true })).default([]),
          readBudget: readBudgetSchema.optional(),
          mayRequest: z.array(requestRuleSchema).default([]),
        })
        .strict(),
    ),
  })
  .strict();
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
