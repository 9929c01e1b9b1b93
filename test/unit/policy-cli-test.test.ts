import { describe, expect, it } from 'vitest';
import { test as runTests } from '../../src/cli/policy/test.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';
import { runPolicyCommand, tempFiles } from '../helpers/policy-cli.js';

const DEFAULT_TESTS = projectFile('policies', 'default.tests.yaml');

const giulia = `{ id: c-1, fullName: Giulia Marchetti, phone: +39 347 123 4567, email: giulia.marchetti@example.com, iban: IT60X0542811101000000123456, privacyLevel: standard, assignees: [] }`;

describe('policy test', () => {
  // This is how CI runs the shipped cases: a failure here means the default policy
  // no longer gives some role what its hand-written expectations say.
  it('passes every case of policies/default.tests.yaml', async () => {
    const { code, out } = await runPolicyCommand(runTests, [DEFAULT_POLICY_FILE, DEFAULT_TESTS]);
    expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^\d+ passed, 0 failed/);
  });

  // The examples are documentation a reader copies from: each ships its own cases.
  for (const example of ['clinic', 'crm-adopt', 'crm-decisions']) {
    it(`passes every case of policies/examples/${example}.tests.yaml`, async () => {
      const { code, out } = await runPolicyCommand(runTests, [projectFile('policies', 'examples', `${example}.yaml`), projectFile('policies', 'examples', `${example}.tests.yaml`)]);
      expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(code).toBe(0);
      expect(out.at(-1)).toMatch(/^\d+ passed, 0 failed/);
    });
  }

  it('reports a failing case with what differed, and exits 1', async () => {
    const { tests } = tempFiles({
      tests: `
records:
  giulia: ${giulia}
cases:
  - name: agent sees the phone masked
    principal: { sub: bob, roles: [agent] }
    resource: Customer
    record: giulia
    action: read
    expect:
      decision: allow
      rendered: { id: c-1, fullName: Giulia Marchetti, phone: +39 XXX XXX XXXX, email: giulia.marchetti@example.com, privacyLevel: standard }
      masked: [phone]
  - name: wrongly expects the agent to see the iban
    principal: { sub: bob, roles: [agent] }
    resource: Customer
    record: giulia
    action: read
    expect:
      decision: allow
      rendered: { id: c-1, fullName: Giulia Marchetti, phone: +39 347 123 4567, email: giulia.marchetti@example.com, iban: IT60X0542811101000000123456, privacyLevel: standard }
      withheld: [address]
  - name: wrongly expects the agent to export
    principal: { sub: bob, roles: [agent] }
    resource: Customer
    action: export
    expect: { decision: allow }
`,
    });
    const { code, out } = await runPolicyCommand(runTests, [DEFAULT_POLICY_FILE, tests!]);
    expect(code).toBe(1);
    expect(out).toEqual(
      expect.arrayContaining([
        'pass  agent sees the phone masked',
        'FAIL  wrongly expects the agent to see the iban',
        '        rendered.phone: expected "+39 347 123 4567", got "+39 XXX XXX XXXX"',
        '        rendered.iban: expected "IT60X0542811101000000123456", got (absent)',
        '        withheld: expected [address], got [address, assignees, iban, taxId]',
        'FAIL  wrongly expects the agent to export',
        '        decision: expected allow, got deny (Bulk export is reserved for administrators.)',
      ]),
    );
    expect(out.at(-1)).toMatch(/^1 passed, 2 failed \(3 cases/);
  });

  it('refuses a malformed test file with every problem', async () => {
    const { tests } = tempFiles({
      tests: `
cases:
  - name: no principal
    resource: Customer
    action: read
    expect: { decision: maybe }
`,
    });
    const first = await runPolicyCommand(runTests, [DEFAULT_POLICY_FILE, tests!]);
    expect(first.code).toBe(1);
    expect(first.err.join('\n')).toMatch(/cases\.0\.principal/);
    expect(first.err.join('\n')).toMatch(/cases\.0\.expect\.decision/);
  });

  it('names a record the cases refer to but never define', async () => {
    const { tests } = tempFiles({
      tests: `
cases:
  - name: unknown record
    principal: { sub: bob, roles: [agent] }
    resource: Customer
    record: nobody
    action: read
    expect: { decision: deny }
`,
    });
    const { code, err } = await runPolicyCommand(runTests, [DEFAULT_POLICY_FILE, tests!]);
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cases\.0\.record: unknown record "nobody"/);
  });
});
