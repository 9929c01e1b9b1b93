import type { PolicyPath } from '../policy/source-lines.js';
import { checkPolicyOnlyField, compileField, type Report } from './field-checks.js';
import type { ResourceSpec } from './model-document.js';
import type { FieldModel, Model, ResourceModel } from './model.js';
import { parseTableName, snakeCase } from './names.js';
import { checkGraphqlNames } from './graphql-names.js';
import { checkRelations } from './relation-checks.js';

/**
 * Compiles the data model from a policy's `resources:` (already shape-checked by zod).
 * A resource with a `plural` is stored and every field needs a type; one without is
 * policy-only (rules and masks over records kept elsewhere, as today's AuditEvent and
 * Policy) and may declare no storage. Problems go to `report` with their path, so the
 * policy loader lists them as `file:line path: what is wrong` with its own.
 */
export function compileModel(declared: Record<string, ResourceSpec>, report: Report): Model {
  const stored = new Map<string, ResourceModel>();
  for (const [name, spec] of Object.entries(declared)) {
    const path: PolicyPath = ['resources', name];
    if (spec.plural === undefined) checkPolicyOnly(spec, path, report);
    else {
      const resource = compileResource(name, spec, spec.plural, path, report);
      if (resource) stored.set(name, resource);
    }
  }
  checkRelations(stored, declared, report);
  checkGraphqlNames(stored, report);
  return { resources: stored };
}

function checkPolicyOnly(spec: ResourceSpec, path: PolicyPath, report: Report): void {
  for (const key of ['table', 'adopt', 'parent'] as const) {
    if (spec[key] !== undefined) report([...path, key], `${key} describes a stored resource: give the resource a plural`);
  }
  for (const [field, fieldSpec] of Object.entries(spec.fields)) checkPolicyOnlyField(fieldSpec, [...path, 'fields', field], report);
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
  return {
    name,
    plural,
    table,
    adopt,
    parent: spec.parent,
    fields,
    id: ids[0]!,
    file: files[0] ? { field: files[0], chunks: { table: { schema: table.schema, name: `${owner}_chunks` }, owner: `${owner}_id` } } : undefined,
  };
}
