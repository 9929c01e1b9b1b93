import type { ReadBudgetSpec } from './policy-document.js';

/** A role's read budget, compiled: the window in milliseconds as well as as written. */
export interface ReadBudget {
  customers: number;
  /** As written in the policy (`1h`), for audit details and messages. */
  window: string;
  windowMs: number;
  onExceed: 'block' | 'alert';
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([1-9][0-9]{0,6})(s|m|h|d)$/;

/** `30s`, `15m`, `1h`, `7d` to milliseconds; a message when the text is not one of those. */
export function parseWindow(text: string): number | string {
  const match = DURATION.exec(text);
  if (!match) return `window "${text}" is not a duration like 30s, 15m, 1h or 7d`;
  return Number(match[1]) * UNITS[match[2]!]!;
}

export function compileReadBudget(spec: ReadBudgetSpec): ReadBudget | string {
  const windowMs = parseWindow(spec.window);
  if (typeof windowMs === 'string') return windowMs;
  return { customers: spec.customers, window: spec.window, windowMs, onExceed: spec.onExceed };
}

/** Customers per millisecond: how budgets with different windows compare. */
const rate = (b: ReadBudget) => b.customers / b.windowMs;

/**
 * The budget of a principal holding `roles`: the most generous of its roles' budgets,
 * because roles add rights and never take them away. A known role without a budget is
 * unlimited, so it makes the principal unlimited (null). Roles the policy does not know
 * grant nothing and so are ignored. "Most generous" is the highest rate (customers per
 * window length); on a tie the larger count, then `alert` over `block`.
 */
export function budgetFor(budgets: ReadonlyMap<string, ReadBudget | null>, roles: readonly string[]): ReadBudget | null {
  const known = roles.filter((role) => budgets.has(role)).map((role) => budgets.get(role) ?? null);
  if (known.length === 0 || known.some((b) => b === null)) return null;
  return (known as ReadBudget[]).reduce((best, b) => {
    if (rate(b) !== rate(best)) return rate(b) > rate(best) ? b : best;
    if (b.customers !== best.customers) return b.customers > best.customers ? b : best;
    return b.onExceed === 'alert' ? b : best;
  });
}
