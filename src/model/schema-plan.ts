import { checkAdoptedTable } from './adopted-table.js';
import type { Catalog } from './catalog.js';
import type { PlanContext } from './managed-ddl.js';
import { planManagedTable } from './managed-table.js';
import type { Model, ResourceModel } from './model.js';
import { sqlText } from './sql-text.js';

/** One statement fieldguard may run on its own: it never fails on existing rows and loses nothing. */
export interface PlanStep {
  resource: string;
  summary: string;
  sql: string;
}

/**
 * A difference fieldguard will not settle itself because it could lose data or fail on
 * existing rows (a column the model no longer has, a changed type, removed enum values):
 * reported with the SQL a person may run after deciding it is right.
 */
export interface DriftItem {
  resource: string;
  summary: string;
  sql: string;
}

/** Why an adopted table cannot serve its resource; the service refuses to start. */
export interface AdoptedProblem {
  resource: string;
  summary: string;
}

export interface SchemaPlan {
  steps: PlanStep[];
  drift: DriftItem[];
  problems: AdoptedProblem[];
}

/** Every table and schema the model names, for readCatalog. */
export function modelTables(model: Model) {
  return [...model.resources.values()].flatMap((r) => [r.table, ...(r.file ? [r.file.chunks.table] : [])]);
}

/**
 * What it takes to bring the database described by `catalog` to `model`: safe steps in
 * the order they must run (a referenced table before the tables pointing at it), drift
 * for a person, and problems of adopted tables. Pure: reading and running are elsewhere.
 */
export function planSchema(model: Model, catalog: Catalog): SchemaPlan {
  const plan: SchemaPlan = { steps: [], drift: [], problems: [] };
  const ctx: PlanContext = {
    model,
    catalog,
    sql: sqlText(catalog.reserved),
    plan,
    ready: new Set([...catalog.tables.keys()]),
    schemas: new Set(catalog.schemas),
    deferred: [],
  };
  for (const resource of referencedFirst(model)) {
    if (resource.adopt) plan.problems.push(...checkAdoptedTable(resource, catalog));
    else planManagedTable(resource, ctx);
  }
  // Foreign keys between tables created in a cycle, once all of them exist.
  plan.steps.push(...ctx.deferred);
  return plan;
}

/** Resources in declared order, except that a resource comes after those it refers to. */
function referencedFirst(model: Model): ResourceModel[] {
  const ordered: ResourceModel[] = [];
  const visiting = new Set<string>();
  const visit = (r: ResourceModel) => {
    if (ordered.includes(r) || visiting.has(r.name)) return;
    visiting.add(r.name);
    for (const f of r.fields) {
      const target = f.ref === undefined ? undefined : model.resources.get(f.ref);
      if (target) visit(target);
    }
    ordered.push(r);
  };
  for (const r of model.resources.values()) visit(r);
  return ordered;
}

export const isEmptyPlan = (plan: SchemaPlan) => plan.steps.length === 0 && plan.drift.length === 0 && plan.problems.length === 0;
