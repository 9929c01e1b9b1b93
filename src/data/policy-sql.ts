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
  // Roles combine as a union: a record is selected if any role's rules select it.
  const branches: SqlFilter[] = [];
  for (const part of ability.parts) {
    const filter = partFilter(part, actions, type, field, table);
    if (filter === TRUE) return TRUE;
    if (filter) branches.push(filter);
  }
  if (branches.length === 0) return null;
  return branches.length === 1 ? branches[0]! : (eb) => eb.or(branches.map((b) => b(eb)));
}

function partFilter(ability: AnyAbility, actions: readonly string[], type: string, field?: string, table?: string): SqlFilter | null {
  const branches: SqlFilter[] = [];
  const toSql = (rule: { ast: unknown; inverted: boolean }) => ruleToSql(rule, table);
  for (const action of actions) {
    const filter = rulesToCondition<AnyAbility, SqlFilter, SqlFilter>(ability.rulesFor(action, type, field), toSql, {
      and: (parts) => (eb) => eb.and(parts.map((p) => p(eb))),
      or: (parts) => (eb) => eb.or(parts.map((p) => p(eb))),
      empty: () => TRUE,
    });
    if (filter === TRUE) return TRUE;
    if (filter) branches.push(filter);
  }
  if (branches.length === 0) return null;
  return branches.length === 1 ? branches[0]! : (eb) => eb.or(branches.map((b) => b(eb)));
}

function ruleToSql(rule: { ast: unknown; inverted: boolean }, table: string | undefined): SqlFilter {
  const positive = nodeToSql(rule.ast as AstNode, table);
  return rule.inverted ? (eb) => eb.not(positive(eb)) : positive;
}

function nodeToSql(node: AstNode, table: string | undefined): SqlFilter {
  const { operator, value } = node;
  const field = node.field && table ? `${table}.${node.field}` : node.field;
  switch (operator) {
    case 'and':
    case 'or': {
      const parts = (value as AstNode[]).map((n) => nodeToSql(n, table));
      return (eb) => eb[operator](parts.map((p) => p(eb)));
    }
    case 'not': {
      const inner = nodeToSql(value as AstNode, table);
      return (eb) => eb.not(inner(eb));
    }
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
