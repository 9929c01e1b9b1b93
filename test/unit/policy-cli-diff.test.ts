import { describe, expect, it } from 'vitest';
import { diff } from '../../src/cli/policy/diff.js';
import { runPolicyCommand, tempFiles } from '../helpers/policy-cli.js';

const resources = `
resources:
  Ticket:
    fields:
      id: { class: system }
      phone: { class: contact, mask: digits }
      iban: { class: financial, mask: "last:4" }
      owners: { class: system }
      level: { class: system }
`;

const OLD = `${resources}
roles:
  clerk:
    can:
      - { actions: [read], subject: Ticket, fields: [id], when: { level: { ne: secret } } }
      - { actions: [read_masked], subject: Ticket, fields: [phone, iban], when: { level: { ne: secret } } }
      - { actions: [delete], subject: Ticket }
  boss:
    inherits: [clerk]
    can:
      - { actions: [read, export], subject: Ticket }
  temp:
    can:
      - { actions: [read], subject: Ticket, fields: [id] }
`;

// The edit under review: clerks see the phone of their own tickets in clear, lose the
// masked iban and the right to delete; bosses lose export; temp goes, auditor arrives.
const NEW = `${resources}
roles:
  clerk:
    can:
      - { actions: [read], subject: Ticket, fields: [id], when: { level: { ne: secret } } }
      - { actions: [read_masked], subject: Ticket, fields: [phone], when: { level: { ne: secret } } }
      - { actions: [read], subject: Ticket, fields: [phone], when: { level: { ne: secret }, owners: { contains: $principal.sub } } }
  boss:
    inherits: [clerk]
    can:
      - { actions: [read], subject: Ticket }
  auditor:
    can:
      - { actions: [read], subject: Ticket, fields: [id], when: { level: secret } }
`;

describe('policy diff', () => {
  it('states, per role and field, what the edit changes and on which records', async () => {
    const files = tempFiles({ 'old.yaml': OLD, 'new.yaml': NEW });
    const { code, out } = await runPolicyCommand(diff, [files['old.yaml']!, files['new.yaml']!]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^old {2}.*old\.yaml {2}sha256:[0-9a-f]{12}$/);
    expect(out.slice(3)).toEqual([
      'temp  role  removed',
      'auditor  role  added',
      'clerk  Ticket.phone  masked (digits) -> clear (records where owners contains you)',
      'clerk  Ticket.iban  masked (last:4) -> withheld',
      'clerk  Ticket  loses delete',
      'boss  Ticket  loses delete',
      'boss  Ticket  loses export',
      'temp  Ticket  records visible -> hidden',
      'temp  Ticket.id  clear -> withheld',
      'auditor  Ticket  records hidden -> visible (records where level is secret)',
      'auditor  Ticket.id  withheld -> clear',
    ]);
  });

  it('reports field and mask edits of the resource itself', async () => {
    const edited = OLD.replace('mask: "last:4"', 'mask: "last:2"').replace('level: { class: system }', 'level: { class: system }\n      email: { class: contact, mask: email }');
    const files = tempFiles({ 'old.yaml': OLD, 'new.yaml': edited });
    const { out } = await runPolicyCommand(diff, [files['old.yaml']!, files['new.yaml']!]);
    expect(out).toEqual(
      expect.arrayContaining([
        'Ticket.iban  mask last:4 -> last:2',
        'Ticket.email  field added',
        'clerk  Ticket.iban  masked (last:4) -> masked (last:2)',
        'boss  Ticket.email  not declared -> clear',
      ]),
    );
  });

  it('says so when nothing changes', async () => {
    const files = tempFiles({ 'old.yaml': OLD, 'new.yaml': `# reformatted\n${OLD}` });
    const { code, out } = await runPolicyCommand(diff, [files['old.yaml']!, files['new.yaml']!]);
    expect(code).toBe(0);
    expect(out.at(-1)).toBe('no change in what any role sees or may do');
  });

  it('exits 1 with the problems when a file is invalid', async () => {
    const files = tempFiles({ 'old.yaml': OLD, 'new.yaml': NEW.replace('inherits: [clerk]', 'inherits: [ghost]') });
    const { code, err } = await runPolicyCommand(diff, [files['old.yaml']!, files['new.yaml']!]);
    expect(code).toBe(1);
    expect(err).toEqual(expect.arrayContaining([expect.stringMatching(/roles\.boss\.inherits\[0\]: unknown role "ghost"$/)]));
  });
});
