import { describe, expect, it } from 'vitest';
import { compilePolicy, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
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
    expect([...policy.roles.keys()].sort()).toEqual(['admin', 'agent', 'assistant', 'auditor', 'manager']);
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
            { actions: ['read'], subject: 'Customer', when: { id: { eq: '$principal.email' } } },
          ],
        },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^p\.yaml: roles\.agent\.inherits\[0\]: unknown role "ghost"/),
        expect.stringMatching(/unknown field "nope"/),
        expect.stringMatching(/read_masked on "id", which has no mask strategy/),
        expect.stringMatching(/unknown resource type "Invoice"/),
        expect.stringMatching(/condition on unknown field "colour"/),
        expect.stringMatching(/unknown placeholder "\$principal\.email"/),
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
    expect(problems({ ...base, roles: { agent: { can: [{ actions: ['fly'], subject: 'Customer' }] } } }).join()).toMatch(/roles\.agent\.can\.0\.actions\.0/);
  });

  it('reports a file that does not exist', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml', undefined)).toThrow(/cannot read the file/);
  });
});
