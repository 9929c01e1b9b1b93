import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { compilePolicy, compilePolicyText, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { budgetFor, parseWindow } from '../../src/policy/read-budget.js';

/** Two stored resources, Customer and Patient; every role reads both unless `reads` says otherwise. */
const stored = (plural: string) => ({ plural, fields: { id: { type: 'id', class: 'system' } } });
const withBudgets = (budgets: Record<string, unknown>, reads: Record<string, string[]> = {}) => ({
  resources: { Customer: stored('customers'), Patient: stored('patients'), AuditEvent: { fields: { id: { class: 'system' } } } },
  roles: Object.fromEntries(
    Object.entries(budgets).map(([role, readBudget]) => [
      role,
      { can: (reads[role] ?? ['Customer', 'Patient']).map((subject) => ({ actions: ['read'], subject })), ...(readBudget ? { readBudget } : {}) },
    ]),
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

  it('compiles the bundled policy: agent and assistant are budgeted for customers, the others are not', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    const customers = policy.readBudgets.get('Customer')!;
    expect(customers.get('agent')).toMatchObject({ resource: 'Customer', plural: 'customers', limit: 200, window: '1h', windowMs: 3_600_000, onExceed: 'block' });
    expect(customers.get('assistant')).toMatchObject({ limit: 100, onExceed: 'block' });
    expect(customers.get('manager')).toBeNull();
    // The auditor reads no customers: nothing to limit, and it lifts no one's budget.
    expect(customers.has('auditor')).toBe(false);
    // Bookings and documents are budgeted by no role.
    expect([...policy.readBudgets.keys()]).toEqual(['Customer']);
  });

  it('counts resources by plural or by name, each with its own count and one window', () => {
    const policy = compilePolicy(withBudgets({ clinic: { customers: 100, Patient: 50, window: '1h', onExceed: 'alert' } }), 'v', undefined);
    expect(policy.readBudgets.get('Customer')!.get('clinic')).toMatchObject({ resource: 'Customer', plural: 'customers', limit: 100, windowMs: 3_600_000, onExceed: 'alert' });
    expect(policy.readBudgets.get('Patient')!.get('clinic')).toMatchObject({ resource: 'Patient', plural: 'patients', limit: 50, windowMs: 3_600_000, onExceed: 'alert' });
  });

  it('names the role and what is wrong with a bad budget', () => {
    expect(problems(withBudgets({ agent: { customers: 5, window: 'an hour', onExceed: 'block' } }))).toEqual([
      'p.yaml roles.agent.readBudget.window: window "an hour" is not a duration like 30s, 15m, 1h or 7d',
    ]);
    const shape = problems(withBudgets({ agent: { customers: 0, patients: 2.5, window: '1h', onExceed: 'panic' } })).join('\n');
    expect(shape).toMatch(/roles\.agent\.readBudget\.customers/);
    expect(shape).toMatch(/roles\.agent\.readBudget\.patients/);
    expect(shape).toMatch(/roles\.agent\.readBudget\.onExceed/);
    expect(problems(withBudgets({ agent: { per: 'x', customers: 5, window: '1h', onExceed: 'block' } })).join('\n')).toMatch(/roles\.agent\.readBudget\.per: /);
    expect(problems(withBudgets({ agent: { window: '1h', onExceed: 'block' } }))).toEqual([
      'p.yaml roles.agent.readBudget: count at least one resource, e.g. customers: 100',
    ]);
  });

  it('refuses a key naming no stored resource, and one resource named twice', () => {
    expect(problems(withBudgets({ agent: { customers: 5, invoices: 3, auditEvents: 1, AuditEvent: 1, window: '1h', onExceed: 'block' } }))).toEqual([
      'p.yaml roles.agent.readBudget.invoices: "invoices" names no stored resource (use one of customers, patients), nor is it window or onExceed',
      'p.yaml roles.agent.readBudget.auditEvents: "auditEvents" names no stored resource (use one of customers, patients), nor is it window or onExceed',
      'p.yaml roles.agent.readBudget.AuditEvent: "AuditEvent" names no stored resource (use one of customers, patients), nor is it window or onExceed',
    ]);
    expect(problems(withBudgets({ agent: { customers: 5, Customer: 6, window: '1h', onExceed: 'block' } }))).toEqual([
      'p.yaml roles.agent.readBudget.Customer: Customer is already budgeted as "customers"',
    ]);
  });

  it('points at the line of the key', () => {
    const yaml = [
      'resources:',
      '  Customer: { plural: customers, fields: { id: { type: id, class: system } } }',
      'roles:',
      '  agent:',
      '    can: [{ actions: [read], subject: Customer }]',
      '    readBudget:',
      '      customers: 5',
      '      patients: 5',
      '      window: 1h',
      '      onExceed: block',
    ].join('\n');
    expect(() => compilePolicyText(yaml, undefined, 'p.yaml')).toThrow(/p\.yaml:8 roles\.agent\.readBudget\.patients: "patients" names no stored resource \(use one of customers\)/);
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
    const forCustomers = (roles: string[]) => budgetFor(policy.readBudgets, 'Customer', roles);
    expect(forCustomers(['small'])?.limit).toBe(10);
    expect(forCustomers(['small', 'fast'])?.window).toBe('1m');
    expect(forCustomers(['fast', 'wide'])?.window).toBe('1h');
    expect(forCustomers(['wide', 'wideAlert'])?.onExceed).toBe('alert');
    expect(forCustomers(['small', 'free'])).toBeNull();
    // A role the policy does not know grants nothing, so it lifts no budget either.
    expect(forCustomers(['small', 'ghost'])?.limit).toBe(10);
    expect(forCustomers([])).toBeNull();
  });

  it('merges per resource: a budget that does not name a resource leaves it unlimited', () => {
    const policy = compilePolicy(
      withBudgets(
        {
          front: { customers: 100, window: '1h', onExceed: 'block' },
          nurse: { patients: 50, window: '1h', onExceed: 'block' },
          doctor: { customers: 20, patients: 500, window: '1h', onExceed: 'alert' },
          records: { patients: 5, window: '1m', onExceed: 'block' },
          billing: null,
        },
        { records: ['Patient'], billing: ['Customer'] },
      ),
      'v',
      undefined,
    );
    const budget = (resource: string, roles: string[]) => {
      const b = budgetFor(policy.readBudgets, resource, roles);
      return b && `${b.limit} ${b.plural}/${b.window} ${b.onExceed}`;
    };
    expect(budget('Customer', ['front'])).toBe('100 customers/1h block');
    expect(budget('Patient', ['front'])).toBeNull();
    expect(budget('Patient', ['nurse'])).toBe('50 patients/1h block');
    expect(budget('Customer', ['nurse'])).toBeNull();
    // Per resource, the most generous: the front desk's customers, the doctor's patients.
    expect(budget('Customer', ['front', 'doctor'])).toBe('100 customers/1h block');
    expect(budget('Patient', ['nurse', 'doctor'])).toBe('500 patients/1h alert');
    // Each is unlimited for what its budget does not name, and lifts the other's budget there.
    expect(budget('Patient', ['nurse', 'front'])).toBeNull();
    expect(budget('Customer', ['nurse', 'front'])).toBeNull();
    // A role that cannot read customers neither lifts nor sets a customer budget.
    expect(budget('Customer', ['front', 'records'])).toBe('100 customers/1h block');
    expect(budget('Customer', ['records'])).toBeNull();
    expect(budget('Patient', ['records'])).toBe('5 patients/1m block');
    // Billing, with no budget, reads only customers: it lifts those and no patient budget.
    expect(budget('Customer', ['front', 'billing'])).toBeNull();
    expect(budget('Patient', ['nurse', 'billing'])).toBe('50 patients/1h block');
  });

  it('drops the count of a resource the role cannot read', () => {
    const policy = compilePolicy(
      withBudgets({ desk: { customers: 10, patients: 5, window: '1h', onExceed: 'block' }, other: { patients: 5, window: '1h', onExceed: 'block' } }, { desk: ['Customer'], other: ['Customer'] }),
      'v',
      undefined,
    );
    expect(policy.readBudgets.get('Customer')!.get('desk')?.limit).toBe(10);
    // No role that reads patients keeps a budget for them.
    expect(policy.readBudgets.has('Patient')).toBe(false);
    expect(budgetFor(policy.readBudgets, 'Patient', ['desk'])).toBeNull();
  });
});
