import type { ReadBudgetSpec } from './policy-document.js';

/** A role's read budget for one resource, compiled: the window in milliseconds as well as as written. */
export interface ReadBudget {
  /** The resource counted, by name (`Customer`). */
  resource: string;
  /** Its plural (`customers`), for audit reasons and messages. */
  plural: string;
  /** Distinct records of the resource one person may read in the window. */
  limit: number;
  /** As written in the policy (`1h`), for audit details and messages. */
  window: string;
  windowMs: number;
  onExceed: 'block' | 'alert';
}

/**
 * The read budgets a policy sets, per resource name (`Customer`), then per role that can
 * read that resource: its budget for it, or null when the role is unlimited for it (it
 * has no `readBudget`, or one that does not name the resource). Roles that cannot read a
 * resource are absent from its map; resources no role budgets are absent altogether.
 */
export type ReadBudgets = ReadonlyMap<string, ReadonlyMap<string, ReadBudget | null>>;

/** The keys of a `readBudget` that are settings; every other key names a resource. */
export const READ_BUDGET_SETTINGS = ['window', 'onExceed'] as const;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([1-9][0-9]{0,6})(s|m|h|d)$/;

/** `30s`, `15m`, `1h`, `7d` to milliseconds; a message when the text is not one of those. */
export function parseWindow(text: string): number | string {
  const match = DURATION.exec(text);
  if (!match) return `window "${text}" is not a duration like 30s, 15m, 1h or 7d`;
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** A stored resource a budget may count: its name and plural. */
export interface BudgetableResource {
  name: string;
  plural: string;
}

/** What is wrong with one key of a `readBudget`, reported at `readBudget.<key>`. */
export interface ReadBudgetProblem {
  key: string;
  message: string;
}

/**
 * A role's `readBudget` to one budget per resource it names. Resource keys are a stored
 * resource's plural (`customers`) or its name (`Customer`); both are normalised to the
 * name. Problems: a key naming no stored resource, two keys naming the same one, a
 * window that is not a duration; the budgets are only usable when there are none.
 */
export function compileReadBudget(spec: ReadBudgetSpec, stored: readonly BudgetableResource[]): { budgets: ReadBudget[]; problems: ReadBudgetProblem[] } {
  const problems: ReadBudgetProblem[] = [];
  const windowMs = parseWindow(spec.window);
  if (typeof windowMs === 'string') problems.push({ key: 'window', message: windowMs });
  const budgets: ReadBudget[] = [];
  const keyOf = new Map<string, string>();
  for (const [key, limit] of Object.entries(spec)) {
    if ((READ_BUDGET_SETTINGS as readonly string[]).includes(key) || typeof limit !== 'number') continue;
    const resource = stored.find((r) => r.plural === key || r.name === key);
    if (!resource) {
      const known = stored.map((r) => r.plural).join(', ');
      problems.push({ key, message: `"${key}" names no stored resource (${known ? `use one of ${known}` : 'the policy stores none'}), nor is it window or onExceed` });
      continue;
    }
    const earlier = keyOf.get(resource.name);
    if (earlier !== undefined) {
      problems.push({ key, message: `${resource.name} is already budgeted as "${earlier}"` });
      continue;
    }
    keyOf.set(resource.name, key);
    budgets.push({ resource: resource.name, plural: resource.plural, limit, window: spec.window, windowMs: typeof windowMs === 'number' ? windowMs : 0, onExceed: spec.onExceed });
  }
  return { budgets, problems };
}

/** Records per millisecond: how budgets with different windows compare. */
const rate = (b: ReadBudget) => b.limit / b.windowMs;

/**
 * The budget for reading `resource` of a principal holding `roles`: the most generous of
 * its roles' budgets for it, because roles add rights and never take them away. A known
 * role that reads the resource without a budget for it is unlimited, so it makes the
 * principal unlimited (null). Roles the policy does not know, and roles that cannot read
 * the resource, grant nothing and so are ignored. "Most generous" is the highest rate
 * (records per window length); on a tie the larger count, then `alert` over `block`.
 */
export function budgetFor(budgets: ReadBudgets, resource: string, roles: readonly string[]): ReadBudget | null {
  const perRole = budgets.get(resource);
  if (!perRole) return null;
  const known = roles.filter((role) => perRole.has(role)).map((role) => perRole.get(role) ?? null);
  if (known.length === 0 || known.some((b) => b === null)) return null;
  return (known as ReadBudget[]).reduce((best, b) => {
    if (rate(b) !== rate(best)) return rate(b) > rate(best) ? b : best;
    if (b.limit !== best.limit) return b.limit > best.limit ? b : best;
    return b.onExceed === 'alert' ? b : best;
  });
}
