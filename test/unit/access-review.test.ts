import { describe, expect, it } from 'vitest';
import { grantsFor } from '../../src/policy/role-grants.js';
import { suggestNarrowing } from '../../src/policy/access-narrowing.js';
import { exportRights, reviewPerson } from '../../src/policy/access-review.js';
import { AccessUseTally } from '../../src/policy/access-use.js';
import { compilePolicy, compilePolicyText, type Policy } from '../../src/policy/load-policy.js';

// The pure half of an access review: grants read from a policy, slices of the trail
// merged, findings, export rights and narrowing suggestions, on a small hand-made policy.
// Every expected value is worked out by hand from the policy and the rows below.

const POLICY = `
resources:
  Ticket:
    plural: tickets
    fields:
      id: { type: id }
      subject: { type: string }
      phone: { type: string, mask: digits }
      owner: { type: string }
      team: { type: string }
conditions:
  mine:
    - owner: $principal.sub
roles:
  clerk:
    can:
      - actions: [read]
        subject: Ticket
        fields: [id, subject]
      - actions: [read_masked]
        subject: Ticket
        fields: [phone]
      - actions: [read]
        subject: Ticket
        fields: [phone]
        when: mine
  lead:
    inherits: [clerk]
    can:
      - actions: [read, export]
        subject: Ticket
        when: { team: $principal.team }
`;

const policy: Policy = compilePolicyText(POLICY, 'key');
const compile = (document: unknown, version: string) => compilePolicy(document, version, 'key', 'candidate');
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute));

function tally(): AccessUseTally {
  const t = new AccessUseTally();
  // Two slices of the trail: ann changes role between them; bo only reads masked.
  t.addPeople([
    { sub: 'ann', events: 2, firstSeen: at(1), lastSeen: at(2), lastSeq: '20', roles: ['clerk'], roleSets: [['clerk']] },
    { sub: 'bo', events: 1, firstSeen: at(3), lastSeen: at(3), lastSeq: '30', roles: ['clerk'], roleSets: [['clerk']] },
  ]);
  t.addPeople([{ sub: 'ann', events: 1, firstSeen: at(5), lastSeen: at(5), lastSeq: '150', roles: ['lead'], roleSets: [['lead']] }]);
  t.addFieldUse([
    { sub: 'ann', resource: 'Ticket', field: 'id', clear: 2, masked: 0, lastClear: at(2), lastMasked: null },
    { sub: 'ann', resource: 'Ticket', field: 'phone', clear: 1, masked: 0, lastClear: at(1), lastMasked: null },
    { sub: 'bo', resource: 'Ticket', field: 'id', clear: 1, masked: 0, lastClear: at(3), lastMasked: null },
    { sub: 'bo', resource: 'Ticket', field: 'phone', clear: 0, masked: 1, lastClear: null, lastMasked: at(3) },
  ]);
  t.addFieldUse([{ sub: 'ann', resource: 'Ticket', field: 'id', clear: 1, masked: 0, lastClear: at(5), lastMasked: null }]);
  t.addExports([{ sub: 'ann', resource: 'Ticket', exports: 1 }]);
  return t;
}

describe('grantsFor', () => {
  it('reads each field three ways, conditional where a rule holds on some records only', () => {
    const clerk = grantsFor(policy, ['clerk'], 'Ticket');
    expect(clerk.id).toMatchObject({ grant: 'clear', conditional: false, text: 'clear' });
    expect(clerk.phone).toMatchObject({ grant: 'clear', conditional: true, text: 'masked (digits); clear on records where owner is you', states: ['masked', 'clear'] });
    expect(clerk.owner).toMatchObject({ grant: 'none', conditional: false });
  });

  it('treats a token claim as a condition, not as a right nobody has', () => {
    expect(grantsFor(policy, ['lead'], 'Ticket').team).toMatchObject({ grant: 'clear', conditional: true, text: 'withheld; clear on records where team is your team' });
  });

  it('gives nothing to an unknown role', () => {
    expect(grantsFor(policy, ['janitor'], 'Ticket').id).toMatchObject({ grant: 'none' });
  });
});

describe('AccessUseTally', () => {
  it('merges slices: counts add up, the roles are those of the latest event, every role seen is kept', () => {
    const ann = tally().people.get('ann')!;
    expect(ann).toMatchObject({ events: 3, firstSeen: at(1), lastSeen: at(5), lastSeq: 150n, roles: ['lead'] });
    expect([...ann.rolesInWindow].sort()).toEqual(['clerk', 'lead']);
    expect(ann.fields.get('Ticket.id')).toEqual({ clear: 3, masked: 0, lastClear: at(5), lastMasked: null });
    expect(ann.exports.get('Ticket')).toBe(1);
  });
});

describe('reviewPerson', () => {
  it('sets grants against reads, with a finding per field', () => {
    const bo = reviewPerson(policy, ['Ticket'], tally().people.get('bo')!);
    expect(bo.fields.map((f) => [f.field, f.grant, f.clearReads, f.maskedReads, f.finding])).toEqual([
      ['id', 'clear', 1, 0, 'used'],
      ['subject', 'clear', 0, 0, 'unused'],
      ['phone', 'clear', 0, 1, 'clear unused'],
    ]);
    expect(bo.unused).toEqual(['Ticket.subject']);
    expect(bo.fields[2]!.lastUsed).toBe(at(3).toISOString());
  });

  it('flags reads beyond what the roles grant now', () => {
    const t = tally();
    t.addFieldUse([{ sub: 'bo', resource: 'Ticket', field: 'owner', clear: 1, masked: 0, lastClear: at(4), lastMasked: null }]);
    expect(reviewPerson(policy, ['Ticket'], t.people.get('bo')!).fields.find((f) => f.field === 'owner')).toMatchObject({ grant: 'none', finding: 'beyond grant' });
  });
});

describe('exportRights', () => {
  it('lists each role that may export, with its holders and their exports', () => {
    expect(exportRights(policy, ['Ticket'], tally())).toEqual([{ role: 'lead', resource: 'Ticket', holders: 1, exports: 1, unused: false }]);
    expect(exportRights(policy, ['Ticket'], new AccessUseTally())).toEqual([{ role: 'lead', resource: 'Ticket', holders: 0, exports: 0, unused: true }]);
  });
});

describe('suggestNarrowing', () => {
  it('takes away, per role, the ways of reading no holder used, with the diff of the edit', () => {
    const people = [...tally().people.values()];
    const [clerk, lead] = suggestNarrowing(policy, ['Ticket'], people, 90, compile);
    // clerk (ann and bo): subject never read; phone read clear by ann, masked by bo: kept.
    expect(clerk).toMatchObject({ role: 'clerk', holders: 2, fields: [{ resource: 'Ticket', field: 'subject', remove: ['clear'] }], alsoAffects: ['lead'] });
    expect(clerk!.edit).toBe(
      'roles:\n  clerk:\n    cannot:\n      - actions: [read]\n        subject: Ticket\n        fields: [subject]\n        reason: "Access review: not read this way by anyone holding clerk in 90 days."\n',
    );
    // The lead inherits the clerk and grants subject again only on its team's tickets; the
    // diff, like \`policy diff\`, decides without token claims, so there the lead loses it outright.
    expect(clerk!.diff).toEqual(['clerk  Ticket.subject  clear -> withheld', 'lead  Ticket.subject  clear -> withheld']);
    expect(clerk!.alsoAffects).toEqual(['lead']);
    // lead (ann, a clerk earlier in the window): id read clear, phone read clear, never masked.
    expect(lead!.fields).toEqual([
      { resource: 'Ticket', field: 'subject', remove: ['clear'] },
      { resource: 'Ticket', field: 'phone', remove: ['masked'] },
      { resource: 'Ticket', field: 'owner', remove: ['clear'] },
      { resource: 'Ticket', field: 'team', remove: ['clear'] },
    ]);
    expect(lead!.edit).toContain('      - actions: [read]\n        subject: Ticket\n        fields: [subject, owner, team]\n');
    expect(lead!.edit).toContain('      - actions: [read_masked]\n        subject: Ticket\n        fields: [phone]\n');
    expect(lead!.diff).toEqual(['lead  Ticket.subject  clear -> withheld', 'lead  Ticket.phone  masked (digits) -> withheld (records where owner is not you)']);
  });

  it('leaves out roles nobody held', () => {
    expect(suggestNarrowing(policy, ['Ticket'], [], 90, compile)).toEqual([]);
  });
});
