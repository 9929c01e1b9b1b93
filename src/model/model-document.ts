import { z } from 'zod';
import { ERASE_TREATMENTS, FIELD_TYPES, GENERATED, RETENTION_ACTIONS, RETENTION_PERIOD, STRING_FORMATS } from './model.js';

/**
 * The shape of `resources:` in a policy file: the rules' view (class, mask) and the data
 * model (type, table, ...) of each resource. Only shapes are checked here; what depends on
 * other keys or resources (an enum's values, a ref's target, a parent cycle) is checked by
 * compileModel, which reports it with the file's line.
 */

/** A SQL identifier written without quotes in the policy (quoted in SQL where needed). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const identifier = z.string().regex(IDENTIFIER, 'must be a SQL name: letters, digits and _, not starting with a digit');

const fieldSchema = z
  .object({
    type: z.enum(FIELD_TYPES, { error: `unknown type: use one of ${FIELD_TYPES.join(', ')}` }).optional().describe('The value type; required on every field of a resource with a plural.'),
    class: z.string().min(1).optional().describe('Data class (identity, contact, financial, ...); required on a field without a type, system by default on a typed one.'),
    mask: z.string().min(1).optional(),
    description: z.string().optional(),
    values: z.array(z.string().min(1)).min(1).optional().describe('The allowed values of an enum.'),
    resource: z.string().min(1).optional().describe('The resource a ref points at.'),
    required: z.boolean().optional().describe('A create must give a value; the column is NOT NULL.'),
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional().describe('The column default, of the field\'s type (not on adopted tables).'),
    generated: z.enum(GENERATED).optional().describe('Set by the service: a timestamp on insert (created) or on every write (updated), or a string to the creator\'s subject (creator).'),
    column: identifier.optional().describe('The column; default: the field name in snake_case.'),
    maxLength: z.number().int().min(1).max(1_000_000).optional().describe('The longest string or text a write may give (default 1000 for a string, 20000 for text).'),
    format: z.enum(STRING_FORMATS).optional().describe('What a string must look like to be written: email, phone or iban.'),
    onErase: z.enum(ERASE_TREATMENTS, { error: `use one of ${ERASE_TREATMENTS.join(', ')}` }).optional().describe('What erasing the person does to the field: delete (null), anonymise (a fixed value of its type) or keep (with a legalBasis). Default: see docs/policy.md.'),
    legalBasis: z.string().trim().min(1).max(300).optional().describe('Why a field with onErase: keep outlives the erasure (named in the erasure receipt).'),
  })
  .strict();
export type FieldSpec = z.infer<typeof fieldSchema>;

/** One purpose of a stored resource: whose consent it needs and the contact fields it reaches. */
const purposeSchema = z
  .object({
    optOut: z.string().min(1).optional().describe('A boolean field: true = the subject said no (null or false: not opted out).'),
    optIn: z.string().min(1).optional().describe('A boolean field: only true = the subject consented (give optOut or optIn, not both).'),
    contact: z.array(z.string().min(1)).min(1).describe('The fields an audience gives, and a read declaring the purpose withholds for subjects who did not consent.'),
  })
  .strict();
export type PurposeSpec = z.infer<typeof purposeSchema>;

export const resourceSchema = z
  .object({
    plural: z
      .string()
      .regex(/^[a-z][A-Za-z0-9]*$/, 'must be a lowerCamelCase name (letters and digits)')
      .optional()
      .describe('Makes the resource part of the data model: stored (REST /v1/<plural>, GraphQL <plural>(...)), or, with storage: none, kept by the caller and decided through /v1/decisions.'),
    storage: z
      .enum(['table', 'none'])
      .optional()
      .describe('table (default): fieldguard keeps the records in a table; none: the caller keeps them in its own system and sends them to /v1/decisions/render and /check (typed fields, no table, no generated routes). Needs a plural.'),
    table: z
      .string()
      .regex(/^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be name or schema.name')
      .optional()
      .describe('name or schema.name; default: the plural in snake_case, in schema public.'),
    adopt: z.boolean().optional().describe('An existing table: checked at start-up, never created or altered.'),
    parent: z
      .object({ resource: z.string().min(1), field: z.string().min(1) })
      .strict()
      .optional()
      .describe('Records exist for a caller only where their parent (through this ref field) does.'),
    fields: z.record(z.string(), fieldSchema),
    purposes: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a purpose is named in lower case: letters, digits, _ and -'), purposeSchema)
      .optional()
      .describe('Purposes such as marketing, each with its consent field and contact fields: GET /v1/audiences/<Resource>/<purpose>, and X-Purpose reads withhold the contact of subjects who did not consent.'),
    retention: z
      .object({
        after: z.string().regex(RETENTION_PERIOD, 'must be a whole number and a unit: d (days), w (weeks), m (months) or y (years), e.g. 30d, 6m, 2y'),
        from: z.string().min(1).describe('The timestamp or date field the period runs from (createdAt, startsAt, ...).'),
        then: z.enum(RETENTION_ACTIONS).describe('erase: the GDPR erasure of the record and its children; delete: the record, its children and their files go.'),
      })
      .strict()
      .optional()
      .describe('How long a record is kept: `npm run retention` (or RETENTION_INTERVAL in the service) erases or deletes records whose `from` lies more than `after` ago.'),
  })
  .strict();
export type ResourceSpec = z.infer<typeof resourceSchema>;
