import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { compilePolicy, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { budgetFor, parseWindow } from '../../src/policy/read-budget.js';

const withBudgets = (budgets: Record<string, unknown>) => ({
  resources: { Customer: { fields: { id: { class: 'system' } } } },
  roles: Object.fromEntries(
    Object.entries(budgets).map(([role, readBudget]) => [role, { can: [{ actions: ['read'], subject: 'Customer' }], ...(readBudget ? { readBudget } : {}) }]),
  ),
});

const problems = (doc: unknown): string[] => {
  try {
    compilePolicy(doc, 'v', undefined, 'p.yaml');
    return [];
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
};

describe('read budgets in the policy', () => {
  it('parses windows in seconds, minutes, hours and days', () => {
    expect(parseWindow('30s')).toBe(30_000);
    expect(parseWindow('15m')).toBe(900_000);
    expect(parseWindow('1h')).toBe(3_600_000);
    expect(parseWindow('7d')).toBe(604_800_000);
    expect(parseWindow('1.5h')).toMatch(/not a duration/);
    expect(parseWindow('0s')).toMatch(/not a duration/);
  });

  it('compiles the bundled policy: agent and assistant are budgeted, the others are not', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    expect(policy.readBudgets.get('agent')).toMatchObject({ customers: 200, window: '1h', windowMs: 3_600_000, onExceed: 'block' });
    expect(policy.readBudgets.get('assistant')).toMatchObject({ customers: 100, onExceed: 'block' });
    expect(policy.readBudgets.get('manager')).toBeNull();
  });

  it('names the role and what is wrong with a bad budget', () => {
    expect(problems(withBudgets({ agent: { customers: 5, window: 'an hour', onExceed: 'block' } }))).toEqual([
      'p.yaml roles.agent.readBudget.window: window "an hour" is not a duration like 30s, 15m, 1h or 7d',
    ]);
    const shape = problems(withBudgets({ agent: { customers: 0, window: '1h', onExceed: 'panic', per: 'x' } })).join('\n');
    expect(shape).toMatch(/roles\.agent\.readBudget\.customers/);
    expect(shape).toMatch(/roles\.agent\.readBudget\.onExceed/);
    expect(shape).toMatch(/Unrecognized key/);
  });

  it('gives a principal the most generous budget of its roles; one unlimited role means unlimited', () => {
    const policy = compilePolicy(
      withBudgets({
        small: { customers: 10, window: '1h', onExceed: 'block' },
        fast: { customers: 10, window: '1m', onExceed: 'block' },
        wide: { customers: 600, window: '1h', onExceed: 'block' },
        wideAlert: { customers: 600, window: '1h', onExceed: 'alert' },
        free: null,
      }),
      'v',
      undefined,
    );
    expect(budgetFor(policy.readBudgets, ['small'])?.customers).toBe(10);
    expect(budgetFor(policy.readBudgets, ['small', 'fast'])?.window).toBe('1m');
    expect(budgetFor(policy.readBudgets, ['fast', 'wide'])?.window).toBe('1h');
    expect(budgetFor(policy.readBudgets, ['wide', 'wideAlert'])?.onExceed).toBe('alert');
    expect(budgetFor(policy.readBudgets, ['small', 'free'])).toBeNull();
    // A role the policy does not know grants nothing, so it lifts no budget either.
    expect(budgetFor(policy.readBudgets, ['small', 'ghost'])?.customers).toBe(10);
    expect(budgetFor(policy.readBudgets, [])).toBeNull();
  });
});
