import { describe, expect, it } from 'vitest';
import { check } from '../../src/cli/policy/check.js';
import { DEFAULT_POLICY_FILE } from '../../src/paths.js';
import { loadPolicyFile } from '../../src/policy/load-policy.js';
import { runPolicyCommand, tempFiles } from '../helpers/policy-cli.js';

/** Lines of one role's block in the text summary, from `role NAME` to the next blank line. */
const roleBlock = (out: string[], role: string) => {
  const start = out.findIndex((l) => l.startsWith(`role ${role}`));
  const end = out.indexOf('', start);
  return out.slice(start, end === -1 ? undefined : end).map((l) => l.replace(/\s+/g, ' ').trim());
};

describe('policy check', () => {
  it('summarizes the default policy: version, resources, and what each role sees and may do', async () => {
    const { code, out } = await runPolicyCommand(check, [DEFAULT_POLICY_FILE]);
    expect(code).toBe(0);
    expect(out).toContain(`version    sha256:${loadPolicyFile(DEFAULT_POLICY_FILE, undefined).version}`);
    expect(out.some((l) => l.startsWith('  Customer: id, fullName, email (mask email), phone (mask digits)'))).toBe(true);
    expect(out).toContain('roles      assistant, agent, manager, admin, dpo, auditor (any other role: no access)');

    const agent = roleBlock(out, 'agent');
    expect(agent).toEqual(
      expect.arrayContaining([
        'inherits assistant',
        'sees records where privacyLevel is not confidential, or assignees contains you',
        'budget 200 customers per 1h, then block',
        'phone masked (digits); clear when assignees contains you',
        'email clear',
        'address withheld',
        'iban withheld',
        'can update (fields email, phone, notes, marketingOptOut; records where privacyLevel is not confidential, or assignees contains you)',
        'cannot delete: Only administrators may delete customer records.',
        'cannot export: Bulk export is reserved for administrators.',
        'AuditEvent: no access',
      ]),
    );
    expect(roleBlock(out, 'assistant')).toEqual(expect.arrayContaining(['email masked (email)', 'notes withheld', 'can nothing beyond reading']));
    expect(roleBlock(out, 'manager')).toEqual(
      expect.arrayContaining(['inherits agent (and through them assistant)', 'budget unlimited (its readBudget counts no Customer, or it has none)', 'iban masked (last:4)', 'address clear']),
    );
    // The auditor reads no customers: no budget line, nothing to limit.
    expect(roleBlock(out, 'auditor').filter((l) => l.startsWith('budget'))).toEqual([]);
    expect(roleBlock(out, 'admin')).toEqual(expect.arrayContaining(['sees all records', 'taxId clear', 'can create, update, delete, export, audience (records where privacyLevel is not confidential, or assignees contains you)']));
    expect(roleBlock(out, 'auditor')).toEqual(expect.arrayContaining(['Customer: no access', 'eventId clear']));
  });

  it('says where a field depends on the record', async () => {
    const { policy } = tempFiles({
      policy: `
resources:
  Ticket:
    fields:
      id: { class: system }
      phone: { class: contact, mask: digits }
      owners: { class: system }
      level: { class: system }
roles:
  clerk:
    can:
      - { actions: [read], subject: Ticket, fields: [id], when: { level: { ne: secret } } }
      - { actions: [read_masked], subject: Ticket, fields: [phone], when: { level: { ne: secret } } }
      - { actions: [read], subject: Ticket, fields: [phone], when: { level: { ne: secret }, owners: { contains: $principal.sub } } }
`,
    });
    const { code, out } = await runPolicyCommand(check, [policy!]);
    expect(code).toBe(0);
    const clerk = roleBlock(out, 'clerk');
    expect(clerk).toContain('sees records where level is not secret');
    expect(clerk).toContain('phone masked (digits); clear when owners contains you');
    expect(clerk).toContain('owners withheld');
  });

  it('prints the same facts as JSON with --json', async () => {
    const { code, out } = await runPolicyCommand(check, [DEFAULT_POLICY_FILE, '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('\n'));
    const agent = summary.roles.find((r: { role: string }) => r.role === 'agent');
    const customer = agent.resources.find((r: { type: string }) => r.type === 'Customer');
    expect(customer.records).toEqual(['privacyLevel is not confidential', 'assignees contains you']);
    expect(customer.budget).toEqual({ limit: 200, plural: 'customers', window: '1h', onExceed: 'block' });
    expect(agent.resources.find((r: { type: string }) => r.type === 'Booking').budget).toBeNull();
    expect(customer.fields.find((f: { field: string }) => f.field === 'phone').states).toEqual([
      { state: 'masked (digits)', when: null },
      { state: 'clear', when: ['assignees contains you'] },
    ]);
    expect(summary.roles.find((r: { role: string }) => r.role === 'manager').inheritsAll).toEqual(['agent', 'assistant']);
  });

  it('lists every problem of an invalid file and exits 1', async () => {
    const { bad } = tempFiles({
      bad: `
resources:
  Customer:
    fields:
      id: { class: system }
      phone: { class: contact, mask: dots }
roles:
  agent:
    inherits: [ghost]
    can:
      - { actions: [read], subject: Customer, fields: [nope] }
`,
    });
    const { code, out, err } = await runPolicyCommand(check, [bad!]);
    expect(code).toBe(1);
    expect(out).toEqual(['']);
    expect(err[0]).toBe(`${bad}: invalid policy (3 problems)`);
    expect(err.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}.*:6 resources\.Customer\.fields\.phone\.mask: unknown mask strategy "dots"/),
        expect.stringMatching(/:11 roles\.agent\.can\[0\]\.fields\[0\]: unknown field "nope" of Customer$/),
        expect.stringMatching(/:9 roles\.agent\.inherits\[0\]: unknown role "ghost"$/),
      ]),
    );
  });

  it('refuses a file that does not exist', async () => {
    const { code, err } = await runPolicyCommand(check, ['/nonexistent/policy.yaml']);
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cannot read the file \(ENOENT\)/);
  });
});
