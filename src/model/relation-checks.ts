import type { Report } from './field-checks.js';
import type { ResourceSpec } from './model-document.js';
import { qualifiedName, type CallerKeptResourceModel, type ResourceModel } from './model.js';

/** fieldguard's own tables: a resource stored in one would fight the migrations. */
const OWN_TABLES = new Set(['public.audit_events', 'public.customer_reads', 'public.kysely_migration', 'public.kysely_migration_lock']);

/**
 * What a resource cannot know alone: refs and parents naming resources that exist and are
 * stored, parents that are refs, no parent cycles, no two resources on one plural or table.
 */
export function checkRelations(
  stored: ReadonlyMap<string, ResourceModel>,
  declared: Record<string, ResourceSpec>,
  report: Report,
  callerKept: ReadonlyMap<string, CallerKeptResourceModel> = new Map(),
): void {
  const target = (name: string) =>
    !declared[name]
      ? `unknown resource "${name}"`
      : declared[name].plural === undefined
        ? `"${name}" is not stored (it has no plural)`
        : declared[name].storage === 'none'
          ? `"${name}" is kept by the caller (storage: none): a stored record cannot point at it`
          : undefined;
  // A caller-kept record's ref is only a value it carries: it may name any resource of the model.
  for (const r of callerKept.values()) {
    for (const f of r.fields) {
      if (f.ref !== undefined && declared[f.ref]?.plural === undefined) {
        report(['resources', r.name, 'fields', f.name, 'resource'], declared[f.ref] ? `"${f.ref}" has no plural` : `unknown resource "${f.ref}"`);
      }
    }
  }
  for (const r of stored.values()) {
    for (const f of r.fields) {
      const problem = f.ref === undefined ? undefined : target(f.ref);
      if (problem) report(['resources', r.name, 'fields', f.name, 'resource'], problem);
    }
    if (!r.parent) continue;
    const parentProblem = target(r.parent.resource);
    if (parentProblem) report(['resources', r.name, 'parent', 'resource'], parentProblem);
    const field = r.fields.find((f) => f.name === r.parent!.field);
    if (!field) report(['resources', r.name, 'parent', 'field'], `unknown field "${r.parent.field}" of ${r.name}`);
    else if (field.type !== 'ref' || field.ref !== r.parent.resource) {
      report(['resources', r.name, 'parent', 'field'], `"${field.name}" is not a ref to ${r.parent.resource}`);
    } else if (!field.required) {
      // A record without a parent would have no visibility to inherit.
      report(['resources', r.name, 'fields', field.name, 'required'], 'a parent field must be required: true');
    }
  }
  checkParentCycles(stored, report);
  checkUnique(stored, report);
  checkPlurals([...stored.values(), ...callerKept.values()], report);
}

function checkParentCycles(stored: ReadonlyMap<string, ResourceModel>, report: Report): void {
  for (const start of stored.values()) {
    const trail = [start.name];
    for (let at = start.parent?.resource; at !== undefined; at = stored.get(at)?.parent?.resource) {
      trail.push(at);
      if (at === start.name) {
        report(['resources', start.name, 'parent'], `parent cycle ${trail.join(' -> ')}`);
        break;
      }
      // A cycle that does not pass through `start` is reported from its own members.
      if (trail.indexOf(at) < trail.length - 1) break;
    }
  }
}

/** Path segments under /v1 that fieldguard's own routes use, now or in this round's plans. */
const RESERVED_PLURALS = new Set(['audit', 'policy', 'principals', 'subjects', 'decisions', 'console', 'health']);

/** A plural names a resource in budgets and routes: one per resource, none of our own. */
function checkPlurals(resources: ReadonlyArray<{ name: string; plural: string }>, report: Report): void {
  const plurals = new Map<string, string>();
  for (const r of resources) {
    const other = plurals.get(r.plural);
    if (RESERVED_PLURALS.has(r.plural)) report(['resources', r.name, 'plural'], `"${r.plural}" names routes of fieldguard's own (/v1/${r.plural}): choose another plural`);
    else if (other) report(['resources', r.name, 'plural'], `"${r.plural}" is already the plural of ${other}`);
    else plurals.set(r.plural, r.name);
  }
}

function checkUnique(stored: ReadonlyMap<string, ResourceModel>, report: Report): void {
  const tables = new Map<string, string>();
  for (const r of stored.values()) {
    const names = [qualifiedName(r.table), ...(r.file ? [qualifiedName(r.file.chunks.table)] : [])];
    for (const table of names) {
      const owner = tables.get(table);
      if (OWN_TABLES.has(table)) report(['resources', r.name, 'table'], `${table} is one of fieldguard's own tables`);
      else if (owner) report(['resources', r.name, 'table'], `${table} is already the table of ${owner}`);
      else tables.set(table, r.name);
    }
    const columns = new Map<string, string>();
    for (const f of r.fields) {
      if (f.column === null) continue;
      const same = columns.get(f.column);
      if (same) report(['resources', r.name, 'fields', f.name, 'column'], `column ${f.column} is also ${same}'s`);
      else columns.set(f.column, f.name);
    }
  }
}
