import { describe, expect, it } from 'vitest';
import { compilePolicy, compilePolicyText, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';

const base = {
  resources: { Customer: { fields: { id: { class: 'system' }, phone: { class: 'contact', mask: 'digits' } } } },
  roles: { agent: { can: [{ actions: ['read'], subject: 'Customer' }] } },
};

const problems = (doc: unknown): string[] => {
  try {
    compilePolicy(doc, 'v', undefined, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  return [];
};

describe('policy loading', () => {
  it('loads the bundled default policy and versions it by SHA-256', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    expect(policy.version).toMatch(/^[0-9a-f]{64}$/);
    expect([...policy.roles.keys()].sort()).toEqual(['admin', 'agent', 'assistant', 'auditor', 'dpo', 'manager']);
  });

  it('accepts a minimal valid policy', () => {
    expect(problems(base)).toEqual([]);
  });

  it('lists every problem with file and path', () => {
    const found = problems({
      ...base,
      roles: {
        agent: {
          inherits: ['ghost'],
          can: [
            { actions: ['read'], subject: 'Customer', fields: ['nope'] },
            { actions: ['read_masked'], subject: 'Customer', fields: ['id'] },
            { actions: ['read'], subject: 'Invoice' },
            { actions: ['read'], subject: 'Customer', when: { colour: 'red' } },
            { actions: ['read'], subject: 'Customer', when: { id: { eq: '$principalemail' } } },
          ],
        },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^p\.yaml roles\.agent\.inherits\[0\]: unknown role "ghost"/),
        expect.stringMatching(/unknown field "nope"/),
        expect.stringMatching(/read_masked on "id", which has no mask strategy/),
        expect.stringMatching(/unknown resource type "Invoice"/),
        expect.stringMatching(/condition on unknown field "colour"/),
        expect.stringMatching(/"\$principalemail" is not a placeholder/),
      ]),
    );
  });

  it('refuses an inheritance cycle and an unknown mask strategy', () => {
    const found = problems({
      resources: { Customer: { fields: { phone: { class: 'contact', mask: 'stars' } } } },
      roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } },
    });
    expect(found.join('\n')).toMatch(/inheritance cycle/);
    expect(found.join('\n')).toMatch(/unknown mask strategy "stars"/);
  });

  it('refuses unknown keys and wrong shapes', () => {
    expect(problems({ ...base, extra: 1 }).join()).toMatch(/Unrecognized key/);
    expect(problems({ ...base, roles: { agent: { can: [{ actions: ['fly'], subject: 'Customer' }] } } }).join()).toMatch(/roles\.agent\.can\[0\]\.actions\[0\]/);
  });

  it('loads per-resource read budgets and lists a budget naming no stored resource with the other problems', () => {
    const clinic = {
      resources: {
        ...base.resources,
        Customer: { plural: 'customers', fields: { id: { type: 'id', class: 'system' } } },
        Patient: { plural: 'patients', fields: { id: { type: 'id', class: 'system' } } },
      },
      roles: {
        nurse: {
          can: [
            { actions: ['read'], subject: 'Customer' },
            { actions: ['read'], subject: 'Patient' },
          ],
          readBudget: { customers: 100, Patient: 50, window: '1h', onExceed: 'block' },
        },
      },
    };
    const policy = compilePolicy(clinic, 'v', undefined);
    expect([...policy.readBudgets.keys()]).toEqual(['Customer', 'Patient']);
    expect(policy.readBudgets.get('Patient')!.get('nurse')).toMatchObject({ plural: 'patients', limit: 50, window: '1h' });
    const found = problems({
      ...clinic,
      roles: { nurse: { ...clinic.roles.nurse, inherits: ['ghost'], readBudget: { customers: 100, invoices: 5, window: '1h', onExceed: 'block' } } },
    });
    expect(found).toEqual([
      'p.yaml roles.nurse.inherits[0]: unknown role "ghost"',
      'p.yaml roles.nurse.readBudget.invoices: "invoices" names no stored resource (use one of customers, patients), nor is it window or onExceed',
    ]);
  });

  it('reports a file that does not exist', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml', undefined)).toThrow(/cannot read the file/);
  });
});

describe('problems point at the line', () => {
  const yaml = [
    'resources:', //                          1
    '  Customer:', //                         2
    '    fields:', //                         3
    '      id: { class: system }', //         4
    '      phone: { class: contact, mask: stars }', // 5
    'roles:', //                              6
    '  agent:', //                            7
    '    inherits: [ghost]', //               8
    '    can:', //                            9
    '      - actions: [read]', //            10
    '        subject: Customer', //          11
    '        fields: [id, colour]', //       12
    '        when: { tenant: { eq: $principal.tenant } }', // 13
    '      - actions: [fly]', //             14
    '        subject: Customer', //          15
  ].join('\n');

  it('reports schema problems as file:line path: message', () => {
    expect(() => compilePolicyText(yaml, undefined, 'p.yaml')).toThrow(PolicyError);
    try {
      compilePolicyText(yaml, undefined, 'p.yaml');
    } catch (err) {
      expect((err as PolicyError).problems).toEqual([expect.stringMatching(/^p\.yaml:14 roles\.agent\.can\[1\]\.actions\[0\]: /)]);
    }
  });

  it('reports every semantic problem with its line', () => {
    const fixed = yaml.replace('[fly]', '[read]');
    try {
      compilePolicyText(fixed, undefined, 'p.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as PolicyError).problems).toEqual(
        expect.arrayContaining([
          'p.yaml:5 resources.Customer.fields.phone.mask: unknown mask strategy "stars" (known: digits, last:N, first:N, email, redact, hash, initials)',
          'p.yaml:8 roles.agent.inherits[0]: unknown role "ghost"',
          'p.yaml:12 roles.agent.can[0].fields[1]: unknown field "colour" of Customer',
          'p.yaml:13 roles.agent.can[0].when.tenant: condition on unknown field "tenant"',
        ]),
      );
    }
  });

  it('records which principal claims the conditions use', () => {
    const policy = loadPolicyFile(DEFAULT_POLICY_FILE, undefined);
    expect(policy.claimsUsed).toEqual(['sub']);
  });
});

describe('the published JSON Schema', () => {
  it('is exactly what the loader validates with (regenerate: npm run -s policy:schema > policies/policy.schema.json)', async () => {
    const { readFileSync } = await import('node:fs');
    const { policyJsonSchema } = await import('../../src/policy/policy-json-schema.js');
    const { projectFile } = await import('../../src/paths.js');
    expect(JSON.parse(readFileSync(projectFile('policies', 'policy.schema.json'), 'utf8'))).toEqual(policyJsonSchema());
  });
});
