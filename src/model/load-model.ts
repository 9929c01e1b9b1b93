import type { PolicyPath } from '../policy/source-lines.js';
import { checkPolicyOnlyField, compileField, type Report } from './field-checks.js';
import type { ResourceSpec } from './model-document.js';
import { RETENTION_PERIOD, type CallerKeptResourceModel, type FieldModel, type Model, type ResourceModel, type RetentionModel } from './model.js';
import { parseTableName, snakeCase } from './names.js';
import { checkGraphqlNames } from './graphql-names.js';
import { checkRelations } from './relation-checks.js';
import { compilePurposes } from './purpose-checks.js';

/**
 * Compiles the data model from a policy's `resources:` (already shape-checked by zod).
 * A resource with a `plural` is stored and every field needs a type; one without is
 * policy-only (rules and masks over records kept elsewhere, as today's AuditEvent and
 * Policy) and may declare no storage. Problems go to `report` with their path, so the
 * policy loader lists them as `file:line path: what is wrong` with its own.
 */
export function compileModel(declared: Record<string, ResourceSpec>, report: Report): Model {
  const stored = new Map<string, ResourceModel>();
  const callerKept = new Map<string, CallerKeptResourceModel>();
  for (const [name, spec] of Object.entries(declared)) {
    const path: PolicyPath = ['resources', name];
    if (spec.plural === undefined) checkPolicyOnly(spec, path, report);
    else if (spec.storage === 'none') {
      const resource = compileCallerKept(name, spec, spec.plural, path, report);
      if (resource) callerKept.set(name, resource);
    } else {
      const resource = compileResource(name, spec, spec.plural, path, report);
      if (resource) stored.set(name, resource);
    }
  }
  checkRelations(stored, declared, report, callerKept);
  checkGraphqlNames(stored, report);
  return { resources: stored, callerKept };
}

function checkPolicyOnly(spec: ResourceSpec, path: PolicyPath, report: Report): void {
  if (spec.storage !== undefined) report([...path, 'storage'], 'storage describes a resource of the data model: give the resource a plural');
  for (const key of ['table', 'adopt', 'parent', 'purposes', 'retention'] as const) {
    if (spec[key] !== undefined) report([...path, key], `${key} describes a stored resource: give the resource a plural`);
  }
  for (const [field, fieldSpec] of Object.entries(spec.fields)) checkPolicyOnlyField(fieldSpec, [...path, 'fields', field], report);
}

/** Keys of a field that describe a column or a write: meaningless where fieldguard keeps nothing. */
const COLUMN_KEYS = ['column', 'default', 'generated', 'required'] as const;

/**
 * A `storage: none` resource: typed fields (so records sent can be checked and the trail
 * and budgets can name them by id) but nothing of a table: no table, adopt, parent (whose
 * visibility fieldguard could not know), file, columns or defaults.
 */
function compileCallerKept(name: string, spec: ResourceSpec, plural: string, path: PolicyPath, report: Report): CallerKeptResourceModel | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) report(path, 'a resource with a plural is named in PascalCase (letters and digits)');
  for (const key of ['table', 'adopt', 'parent', 'purposes', 'retention'] as const) {
    if (spec[key] !== undefined) report([...path, key], `${key} describes a table: a storage: none resource has none`);
  }
  const fields: FieldModel[] = [];
  for (const [fieldName, fieldSpec] of Object.entries(spec.fields)) {
    const fieldPath: PolicyPath = [...path, 'fields', fieldName];
    for (const key of COLUMN_KEYS) {
      if (fieldSpec[key] !== undefined) report([...fieldPath, key], `${key} describes a column: a storage: none resource has no table`);
    }
    if (fieldSpec.type === 'file') report([...fieldPath, 'type'], 'a file needs storage for its bytes: a storage: none resource has none');
    const field = compileField(fieldName, fieldSpec, false, fieldPath, report);
    if (field) fields.push(field);
  }
  const ids = fields.filter((f) => f.type === 'id');
  if (ids.length === 0) report([...path, 'fields'], 'a resource with a plural needs one field of type id: records sent are named by it');
  ids.slice(1).forEach((f) => report([...path, 'fields', f.name, 'type'], `a second id field: ${ids[0]!.name} already names the records`));
  if (ids.length === 0) return undefined;
  return { name, plural, fields, id: ids[0]! };
}

function compileResource(name: string, spec: ResourceSpec, plural: string, path: PolicyPath, report: Report): ResourceModel | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) report(path, 'a stored resource is named in PascalCase (letters and digits): it names GraphQL types');
  const adopt = spec.adopt ?? false;
  const fields: FieldModel[] = [];
  for (const [fieldName, fieldSpec] of Object.entries(spec.fields)) {
    const field = compileField(fieldName, fieldSpec, adopt, [...path, 'fields', fieldName], report);
    if (field) fields.push(field);
  }
  const ids = fields.filter((f) => f.type === 'id');
  const files = fields.filter((f) => f.type === 'file');
  if (ids.length === 0) report([...path, 'fields'], 'a stored resource needs one field of type id (its primary key)');
  ids.slice(1).forEach((f) => report([...path, 'fields', f.name, 'type'], `a second id field: ${ids[0]!.name} is already the primary key`));
  files.slice(1).forEach((f) => report([...path, 'fields', f.name, 'type'], `a second file field: ${files[0]!.name} already holds the resource's bytes`));
  // Fields with problems are left out, and the policy is refused anyway; the rest is still
  // compiled so that its refs and parents are checked too.
  if (ids.length === 0) return undefined;
  const table = parseTableName(spec.table ?? snakeCase(plural));
  const owner = snakeCase(name);
  const purposes = compilePurposes(spec.purposes, fields, [...path], report);
  return {
    ...(purposes ? { purposes } : {}),
    name,
    plural,
    table,
    adopt,
    parent: spec.parent,
    fields,
    id: ids[0]!,
    file: files[0] ? { field: files[0], chunks: { table: { schema: table.schema, name: `${owner}_chunks` }, owner: `${owner}_id` } } : undefined,
    retention: compileRetention(spec, fields, [...path, 'retention'], report),
  };
}

const PERIOD_UNITS: Record<string, string> = { d: 'days', w: 'weeks', m: 'months', y: 'years' };

/** `retention:` of a stored resource: a period, and a timestamp or date field it runs from. */
function compileRetention(spec: ResourceSpec, fields: readonly FieldModel[], path: PolicyPath, report: Report): RetentionModel | undefined {
  if (!spec.retention) return undefined;
  const { after, from, then } = spec.retention;
  const field = fields.find((f) => f.name === from);
  if (!field) {
    report([...path, 'from'], `unknown field "${from}": retention runs from a timestamp or date field of the resource`);
    return undefined;
  }
  if (field.type !== 'timestamp' && field.type !== 'date') {
    report([...path, 'from'], `"${from}" is ${/^[aeiou]/.test(field.type) ? 'an' : 'a'} ${field.type}: retention runs from a timestamp or date field`);
    return undefined;
  }
  const [, count, unit] = RETENTION_PERIOD.exec(after)!;
  return { after, interval: `${count} ${PERIOD_UNITS[unit!]}`, from: field, then };
}
