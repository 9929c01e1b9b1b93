/**
 * The data model: the resources a policy declares with a `plural`, their tables and typed
 * fields. Most are stored in a table; those declared `storage: none` are kept by the
 * caller in its own system (typed fields, no table, no doors of their own) and are
 * decided through the decisions API. Resources without a plural are "policy-only" (rules
 * and masks, no storage, e.g. AuditEvent and Policy) and do not appear here.
 */

export const FIELD_TYPES = ['id', 'string', 'text', 'integer', 'decimal', 'boolean', 'date', 'timestamp', 'enum', 'string[]', 'ref', 'file'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * `created`: a timestamp set once on insert; `updated`: set on insert and on every update;
 * `creator`: a string set once on insert to the subject of whoever created the record.
 */
export const GENERATED = ['created', 'updated', 'creator'] as const;
export type Generated = (typeof GENERATED)[number];

/** What a `string` must look like to be written (checked on create and update). */
export const STRING_FORMATS = ['email', 'phone', 'iban'] as const;
export type StringFormat = (typeof STRING_FORMATS)[number];

/** A retention period: a whole number of days, weeks, months or years (`30d`, `6m`, `2y`). */
export const RETENTION_PERIOD = /^([1-9][0-9]{0,3})(d|w|m|y)$/;
export const RETENTION_ACTIONS = ['erase', 'delete'] as const;

/**
 * How long a resource's records are kept (`retention:`): a record whose `from` field lies
 * more than `after` before now is erased or deleted, with its children. A record whose
 * `from` is null never expires.
 */
export interface RetentionModel {
  /** As written: `2y`. */
  after: string;
  /** The same period as PostgreSQL interval text: `2 years`. */
  interval: string;
  /** A timestamp or date field of the resource. */
  from: FieldModel;
  then: (typeof RETENTION_ACTIONS)[number];
}

/**
 * What erasing the person a record is about (GDPR Art. 17) does to a field: `delete` sets
 * it to null, `anonymise` puts a fixed replacement of its type in its place, `keep` leaves
 * it, on a declared legal basis. Undeclared, see erasureOf in erasure-rules.ts.
 */
export const ERASE_TREATMENTS = ['delete', 'anonymise', 'keep'] as const;
export type EraseTreatment = (typeof ERASE_TREATMENTS)[number];

export type DefaultValue = string | number | boolean | readonly string[];

export interface TableName {
  schema: string;
  name: string;
}

export interface FieldModel {
  name: string;
  type: FieldType;
  /** The column holding the value; null for `file`, whose bytes live in the chunk table. */
  column: string | null;
  /** The caller must give a value on create. */
  required: boolean;
  /**
   * May hold null. A required, defaulted or generated field never does, nor an id or a
   * `string[]` (an empty list stands for none), so these columns are NOT NULL.
   */
  nullable: boolean;
  default: DefaultValue | undefined;
  generated: Generated | undefined;
  /** The data class (`identity`, `contact`, ...); `system` when the policy gives none. */
  class: string;
  mask: string | undefined;
  description: string | undefined;
  /** The allowed values of an `enum`. */
  values: readonly string[] | undefined;
  /** The resource a `ref` points at (by its id). */
  ref: string | undefined;
  /** A `string`'s required shape on writes. */
  format: StringFormat | undefined;
  /** The longest `string` or `text` a write may give; undefined: the type's default. */
  maxLength: number | undefined;
  /** Declared `onErase`; undefined: the default (erasureOf). */
  onErase?: EraseTreatment | undefined;
  /** Why a field declared `onErase: keep` outlives the erasure. */
  legalBasis?: string | undefined;
}

export interface ResourceModel {
  name: string;
  /** REST path segment and GraphQL list field: `patients`. */
  plural: string;
  table: TableName;
  /** An existing table fieldguard reads and writes but never creates or alters. */
  adopt: boolean;
  /** Records exist for a caller only where their parent does (visibility nests). */
  parent: { resource: string; field: string } | undefined;
  /** In the order the policy declares them. */
  fields: readonly FieldModel[];
  /** The one field of type `id`: the primary key. */
  id: FieldModel;
  /** The one `file` field, if any, and the table holding its bytes in numbered chunks. */
  file: { field: FieldModel; chunks: ChunkTable } | undefined;
  /** Purposes that need the subject's consent (`purposes:`), by name; absent when none. */
  purposes?: ReadonlyMap<string, PurposeModel>;
  /** How long records are kept (`retention:`); undefined: for as long as someone keeps them. */
  retention?: RetentionModel | undefined;
}

/**
 * A purpose such as marketing: the boolean field that records the subject's choice
 * (`optOut`: true = said no; `optIn`: only true = said yes) and the contact fields the
 * purpose reaches, given by its audience and withheld, for a request declaring the
 * purpose, on the records of subjects who did not consent.
 */
export interface PurposeModel {
  name: string;
  consent: { field: FieldModel; kind: 'optOut' | 'optIn' };
  contact: readonly string[];
}

/**
 * Where a `file` field's bytes live: `<resource>_chunks (<resource>_id, seq, bytes)`,
 * named after the resource (Document: document_chunks (document_id, seq, bytes)).
 */
export interface ChunkTable {
  table: TableName;
  owner: string;
}

/**
 * A resource the caller keeps in its own system (`storage: none`): typed fields and an id
 * to name its records in the trail and the read budgets, but no table, routes or GraphQL
 * of its own. Its records reach fieldguard only in a decisions request.
 */
export interface CallerKeptResourceModel {
  name: string;
  plural: string;
  fields: readonly FieldModel[];
  id: FieldModel;
}

export interface Model {
  /** Stored resources by name, in the order the policy declares them. */
  resources: ReadonlyMap<string, ResourceModel>;
  /**
   * Resources declared `storage: none`, by name: never in `resources`, so nothing that
   * plans tables or generates doors sees them.
   */
  callerKept?: ReadonlyMap<string, CallerKeptResourceModel>;
  /**
   * Per resource, the fields the policy's rules test in conditions (`when`): the record
   * filters every list and read runs in SQL, so managed tables get an index on each.
   */
  conditionFields?: ReadonlyMap<string, readonly string[]>;
}

export const qualifiedName = (t: TableName) => `${t.schema}.${t.name}`;

/**
 * The stored resource a `/v1/subjects/{resource}/...` path names: by its REST plural
 * (`customers`, as its own routes), or by its name (`Customer`, as the trail names it).
 */
export const subjectResource = (model: Model, segment: string): ResourceModel | undefined =>
  model.resources.get(segment) ?? [...model.resources.values()].find((r) => r.plural === segment);
