import type { ResourcePolicy } from './load-policy.js';
import type { ConditionSpec, WhenSpec } from './policy-document.js';
import { toClockPlaceholder } from './relative-time.js';
import type { PolicyPath } from './source-lines.js';

const PLACEHOLDER = /^\$principal\.([A-Za-z_][A-Za-z0-9_]*)$/;
const OPERATORS: Record<string, (value: unknown) => Record<string, unknown>> = {
  eq: (v) => ({ $eq: v }),
  ne: (v) => ({ $ne: v }),
  in: (v) => ({ $in: v }),
  nin: (v) => ({ $nin: v }),
  contains: (v) => ({ $all: [v] }),
  // Relative times become `$now...` placeholders the ability binds when it is built.
  after: (v) => ({ $gte: toClockPlaceholder(v as string) }),
  before: (v) => ({ $lt: toClockPlaceholder(v as string) }),
};
const CLOCK_OPERATORS = new Set(['after', 'before']);

/**
 * Compiles `when` clauses (named conditions, inline conditions, lists meaning "any of")
 * into CASL's mongo-style conditions, reporting unknown fields, conditions and
 * placeholders, and noting which principal attributes and whether the clock they use.
 */
export function conditionCompiler(named: Record<string, ConditionSpec[]>, report: (path: PolicyPath, message: string) => void) {
  const claimsUsed = new Set<string>();
  let usesClock = false;

  function toMongo(condition: ConditionSpec, path: PolicyPath, resource: ResourcePolicy): Record<string, unknown> {
    const query: Record<string, unknown> = {};
    for (const [field, test] of Object.entries(condition)) {
      if (!resource.fields.includes(field)) report([...path, field], `condition on unknown field "${field}"`);
      const ops = test !== null && typeof test === 'object' ? test : { eq: test };
      const clauses: Record<string, unknown> = {};
      for (const [op, value] of Object.entries(ops)) {
        if (value === undefined) continue;
        if (CLOCK_OPERATORS.has(op)) usesClock = true;
        else {
          for (const v of Array.isArray(value) ? value : [value]) {
            if (typeof v !== 'string' || !v.startsWith('$')) continue;
            const claim = PLACEHOLDER.exec(v)?.[1];
            if (claim) claimsUsed.add(claim);
            else report([...path, field], `"${v}" is not a placeholder (write $principal.sub or $principal.<claim>)`);
          }
        }
        Object.assign(clauses, OPERATORS[op]!(value));
      }
      query[field] = clauses;
    }
    return query;
  }

  return {
    expandWhen(when: WhenSpec, path: PolicyPath, resource: ResourcePolicy): Record<string, unknown>[] {
      const items = Array.isArray(when) ? when : [when];
      return items.flatMap((item, i) => {
        const itemPath = Array.isArray(when) ? [...path, i] : path;
        if (typeof item !== 'string') return [toMongo(item, itemPath, resource)];
        const conditions = named[item];
        if (!conditions) {
          report(itemPath, `unknown condition "${item}"`);
          return [];
        }
        return conditions.map((c, j) => toMongo(c, ['conditions', item, j], resource));
      });
    },
    get claimsUsed(): ReadonlySet<string> {
      return claimsUsed;
    },
    get usesClock(): boolean {
      return usesClock;
    },
  };
}
