import type { AnyAbility } from '@casl/ability';
import { rulesToCondition } from '@casl/ability/extra';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

type Eb = ExpressionBuilder<any, any>;
export type SqlFilter = (eb: Eb) => Expression<SqlBool>;

const TRUE: SqlFilter = () => sql<SqlBool>`true`;

/**
 * Turns the caller's CASL rules for `actions` on `type` into one SQL condition, so
 * lists, cursors and counts are computed over exactly the records the caller may see.
 * Returns null when no rule grants anything: the caller sees no record at all. With
 * `field`, only rules that cover that field count: the records where it is granted.
 * Field names are the camelCase names the CamelCasePlugin maps to columns; `table`
 * qualifies them, for a condition evaluated inside a subquery over another table.
 */
export function sqlFilterFor(
  ability: { parts: readonly AnyAbility[] },
  actions: readonly string[],
  type: string,
  field?: string,
  table?: string,
): SqlFilter | null {
  // A filter is a pure function of the (immutable) ability and the arguments, and every
  // request asks for the same few, so each is translated once per ability.
  let memo = filterMemos.get(ability);
  if (!memo) filterMemos.set(ability, (memo = new Map()));
  const key = `${actions.join(',')}|${type}|${field ?? ''}|${table ?? ''}`;
  if (memo.has(key)) return memo.get(key)!;
  const filter = translate(ability, actions, type, field, table);
  memo.set(key, filter);
  return filter;
}

const filterMemos = new WeakMap<object, Map<string, SqlFilter | null>>();

/** A stored resource as the generic record queries see it: its fields' columns. */
export interface ColumnsOf {
  name: string;
  fields: ReadonlyArray<{ name: string; column: string | null }>;
}

/**
 * sqlFilterFor for the generic record queries, which run without the CamelCasePlugin:
 * each field a condition names becomes its model column (an adopted table's own name),
 * qualified with `alias`. A field without a column matches nothing (fails closed).
 */
export function sqlFilterForResource(
  ability: { parts: readonly AnyAbility[] },
  actions: readonly string[],
  resource: ColumnsOf,
  alias: string,
  field?: string,
): SqlFilter | null {
  let memo = filterMemos.get(ability);
  if (!memo) filterMemos.set(ability, (memo = new Map()));
  const key = `columns|${actions.join(',')}|${resource.name}|${field ?? ''}|${alias}`;
  if (memo.has(key)) return memo.get(key)!;
  const columns = new Map(resource.fields.map((f) => [f.name, f.column]));
  const refOf = (name: string) => {
    const column = columns.get(name);
    return column ? `${alias}.${column}` : null;
  };
  const filter = translate(ability, actions, resource.name, field, undefined, refOf);
  memo.set(key, filter);
  return filter;
}

/** How a condition's field is named in SQL; null: the field has no column. */
type RefOf = (field: string) => string | null;

function translate(
  ability: { parts: readonly AnyAbility[] },
  actions: readonly string[],
  type: string,
  field?: string,
  table?: string,
  refOf: RefOf = (name) => (table ? `${table}.${name}` : name),
): SqlFilter | null {
  // Roles combine as a union, and so do the actions: a record is selected if any role's
  // rules for any of the actions select it.
  const branches: SqlFilter[] = [];
  const seen = new Set<string>();
  const toSql = (rule: { ast: unknown; inverted: boolean }) => ruleToSql(rule, refOf);
  for (const part of ability.parts) {
    for (const action of actions) {
      const rules = withoutRepeats(part.rulesFor(action, type, field));
      // Roles and actions often carry the same conditions (read and read_masked of one
      // "visible customer" rule): the same rule list adds nothing to the OR.
      const key = JSON.stringify(rules.map((r) => [r.inverted, r.conditions ? r.ast : null]));
      if (seen.has(key)) continue;
      seen.add(key);
      const filter = rulesToCondition<AnyAbility, SqlFilter, SqlFilter>(rules, toSql, {
        and: (parts) => (eb) => eb.and(parts.map((p) => p(eb))),
        or: (parts) => (eb) => eb.or(parts.map((p) => p(eb))),
        empty: () => TRUE,
      });
      if (filter === TRUE) return TRUE;
      if (filter) branches.push(filter);
    }
  }
  if (branches.length === 0) return null;
  return branches.length === 1 ? branches[0]! : (eb) => eb.or(branches.map((b) => b(eb)));
}

/**
 * Drops a conditional rule whose conditions (and kind) repeat a higher-priority rule's:
 * rules granting different fields under one condition would each add the same OR
 * branch. Safe because the later copy is bounded by at least the same `cannot` rules,
 * so its records are a subset of the earlier copy's; a repeated `cannot` excludes
 * nothing the first did not.
 */
function withoutRepeats<R extends { inverted: boolean; conditions?: unknown; ast?: unknown }>(rules: readonly R[]): R[] {
  const seen = new Set<string>();
  return rules.filter((rule) => {
    if (!rule.conditions) return true;
    const key = JSON.stringify([rule.inverted, rule.ast]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function ruleToSql(rule: { ast: unknown; inverted: boolean }, refOf: RefOf): SqlFilter {
  const positive = nodeToSql(rule.ast as AstNode, refOf);
  return rule.inverted ? (eb) => eb.not(positive(eb)) : positive;
}

function nodeToSql(node: AstNode, refOf: RefOf): SqlFilter {
  const { operator, value } = node;
  switch (operator) {
    case 'and':
    case 'or': {
      const parts = (value as AstNode[]).map((n) => nodeToSql(n, refOf));
      return (eb) => eb[operator](parts.map((p) => p(eb)));
    }
    case 'not': {
      const inner = nodeToSql(value as AstNode, refOf);
      return (eb) => eb.not(inner(eb));
    }
  }
  const field = node.field === undefined ? undefined : refOf(node.field);
  // A condition on a field without a column (a file) cannot hold: fail closed.
  if (field === null) return () => sql<SqlBool>`false`;
  switch (operator) {
    // Every leaf is a plain true/false, never NULL, so NOT (cannot rules, sort checks)
    // means exactly what CASL's in-memory negation means.
    case 'eq':
      return (eb) => eb(eb.ref(field!), 'is not distinct from', value);
    case 'ne':
      // IS DISTINCT FROM matches CASL's in-memory `!==`, which is true for null.
      return (eb) => eb(eb.ref(field!), 'is distinct from', value);
    case 'in':
      return (eb) => inList(eb, field!, value as unknown[]);
    case 'nin':
      return (eb) => eb.not(inList(eb, field!, value as unknown[]));
    // Relative times arrive bound to ISO instants; a null column fails, as `null >= x` does in memory.
    case 'gte':
      return (eb) => sql<SqlBool>`coalesce(${eb.ref(field!)} >= ${value}::timestamptz, false)`;
    case 'lt':
      return (eb) => sql<SqlBool>`coalesce(${eb.ref(field!)} < ${value}::timestamptz, false)`;
    case 'all':
      return (eb) => sql<SqlBool>`coalesce(${eb.ref(field!)} @> ${value as unknown[]}::text[], false)`;
    default:
      // The policy loader only emits the operators above; anything else is a bug, fail closed.
      throw new Error(`Policy operator "${operator}" has no SQL translation`);
  }
}

/** `field in (values)` as CASL means it: a null field is in the list exactly when null is. */
function inList(eb: Eb, field: string, values: unknown[]): Expression<SqlBool> {
  const present = values.filter((v) => v !== null);
  const matches = sql<SqlBool>`coalesce(${eb.ref(field)} = any(${present}), false)`;
  return values.includes(null) ? eb.or([eb(eb.ref(field), 'is', null), matches]) : matches;
}
