import { describe, expect, it } from 'vitest';
import { buildAbility } from '../../src/policy/ability.js';
import { compilePolicyText } from '../../src/policy/load-policy.js';
import { notCompared } from '../../src/core/policy-replay-limits.js';
import { claimDependence, decideCandidate, recordedView } from '../../src/policy/replay-decide.js';
import { ReplayTally, type ReplayedRead } from '../../src/policy/replay-tally.js';

// The arithmetic of a replay, on reads written by hand; every expected figure below is
// counted by hand from the reads, never computed by the code under test.

const seen = (fields: Record<string, 'clear' | 'masked' | 'withheld'>) => ({ visible: true as const, fields });
const read = (sub: string, roles: string[], id: string, recorded: ReplayedRead['recorded'], candidate: ReplayedRead['candidate']): ReplayedRead => ({
  sub,
  roles,
  resource: 'Ticket',
  id,
  recorded,
  candidate,
});

describe('ReplayTally', () => {
  it('counts reads and distinct records per role, field and direction, and the people who lose a field', () => {
    const tally = new ReplayTally();
    // ann (agent) reads t1 twice and t2 once with the phone clear; the candidate masks it on t1 and t2.
    tally.add(read('ann', ['agent'], 't1', seen({ id: 'clear', phone: 'clear' }), { visible: true, fields: { id: 'clear', phone: 'masked' } }));
    tally.add(read('ann', ['agent'], 't1', seen({ id: 'clear', phone: 'clear' }), { visible: true, fields: { id: 'clear', phone: 'masked' } }));
    tally.add(read('ann', ['agent'], 't2', seen({ id: 'clear', phone: 'clear' }), { visible: true, fields: { id: 'clear', phone: 'masked' } }));
    // bob (agent) read t3 masked; the candidate withholds it.
    tally.add(read('bob', ['agent'], 't3', seen({ id: 'clear', phone: 'masked' }), { visible: true, fields: { id: 'clear', phone: 'withheld' } }));
    // bob read t4 with nothing changing.
    tally.add(read('bob', ['agent'], 't4', seen({ id: 'clear', phone: 'masked' }), { visible: true, fields: { id: 'clear', phone: 'masked' } }));
    // cy (clerk) had the phone withheld; the candidate masks it: a gain, no loss.
    tally.add(read('cy', ['clerk'], 't1', seen({ id: 'clear', phone: 'withheld' }), { visible: true, fields: { id: 'clear', phone: 'masked' } }));
    expect(tally.result()).toEqual({
      totals: { reads: 6, unchanged: 1, changed: 5, recordGone: 0, undecided: 0 },
      changes: [
        { roles: 'agent', resource: 'Ticket', field: 'phone', change: 'clear -> masked', reads: 3, records: 2 },
        { roles: 'agent', resource: 'Ticket', field: 'phone', change: 'masked -> withheld', reads: 1, records: 1 },
        { roles: 'clerk', resource: 'Ticket', field: 'phone', change: 'withheld -> masked', reads: 1, records: 1 },
      ],
      losses: [
        { sub: 'ann', resource: 'Ticket', field: 'phone', change: 'clear -> masked', reads: 3, records: 2 },
        { sub: 'bob', resource: 'Ticket', field: 'phone', change: 'masked -> withheld', reads: 1, records: 1 },
      ],
      unknown: [],
    });
  });

  it('counts records hidden and shown, records gone and reads a claim would decide apart', () => {
    const tally = new ReplayTally();
    tally.add(read('ann', ['agent', 'clerk'], 't1', seen({ id: 'clear', phone: 'masked', iban: 'withheld' }), { visible: false, fields: {} }));
    tally.add(read('ann', ['clerk', 'agent'], 't2', seen({ id: 'clear', phone: 'clear', iban: 'withheld' }), { visible: false, fields: {} }));
    // A read refused as not found, of a record the candidate would show.
    tally.add(read('bob', ['agent'], 't1', { visible: false }, { visible: true, fields: { id: 'clear' } }));
    // Refused then, refused now.
    tally.add(read('bob', ['agent'], 't5', { visible: false }, { visible: false, fields: {} }));
    tally.add(read('bob', ['agent'], 't9', seen({ id: 'clear' }), null));
    tally.add(read('dr', ['doctor'], 't1', seen({ id: 'clear', phone: 'clear' }), { visible: 'undecided', fields: {} }));
    tally.add(read('dr', ['doctor'], 't2', seen({ id: 'clear', phone: 'clear' }), { visible: true, fields: { id: 'clear', phone: 'undecided' } }));
    expect(tally.result()).toEqual({
      totals: { reads: 7, unchanged: 1, changed: 3, recordGone: 1, undecided: 2 },
      changes: [
        { roles: 'agent', resource: 'Ticket', field: null, change: 'not visible -> visible', reads: 1, records: 1 },
        { roles: 'agent+clerk', resource: 'Ticket', field: null, change: 'visible -> not visible', reads: 2, records: 2 },
      ],
      losses: [
        { sub: 'ann', resource: 'Ticket', field: 'id', change: 'clear -> not visible', reads: 2, records: 2 },
        { sub: 'ann', resource: 'Ticket', field: 'phone', change: 'clear -> not visible', reads: 1, records: 1 },
        { sub: 'ann', resource: 'Ticket', field: 'phone', change: 'masked -> not visible', reads: 1, records: 1 },
      ],
      unknown: [
        { roles: 'agent', resource: 'Ticket', field: null, reason: 'record gone', reads: 1, records: 1 },
        { roles: 'doctor', resource: 'Ticket', field: null, reason: 'token claims', reads: 1, records: 1 },
        { roles: 'doctor', resource: 'Ticket', field: 'phone', reason: 'token claims', reads: 1, records: 1 },
      ],
    });
  });

  it('leaves out fields only one policy declares', () => {
    const tally = new ReplayTally();
    tally.add(read('ann', ['agent'], 't1', seen({ id: 'clear', fax: 'clear' }), { visible: true, fields: { id: 'clear', email: 'withheld' } }));
    expect(tally.result().totals).toEqual({ reads: 1, unchanged: 1, changed: 0, recordGone: 0, undecided: 0 });
  });
});

describe('recordedView', () => {
  it('is exact for a field named in one list', () => {
    expect(recordedView({ outcome: 'allowed', clear: ['id'], masked: ['phone'], withheld: ['iban'] }, () => undefined)).toEqual({
      view: { visible: true, fields: { id: 'clear', phone: 'masked', iban: 'withheld' } },
      inferred: 0,
    });
  });

  it('takes a field shown differently across a list’s records from the policy in force, else the most open outcome', () => {
    const event = { outcome: 'allowed' as const, clear: ['id', 'phone'], masked: ['phone'], withheld: ['iban'] };
    expect(recordedView(event, (f) => (f === 'phone' ? 'masked' : undefined))).toEqual({ view: { visible: true, fields: { id: 'clear', phone: 'masked', iban: 'withheld' } }, inferred: 1 });
    // The policy in force says withheld, which the event did not record for the phone: the most open recorded one.
    expect(recordedView(event, () => 'withheld').view).toEqual({ visible: true, fields: { id: 'clear', phone: 'clear', iban: 'withheld' } });
  });

  it('reads a refusal as a record that did not exist for the caller', () => {
    expect(recordedView({ outcome: 'denied', clear: [], masked: [], withheld: [] }, () => undefined)).toEqual({ view: { visible: false }, inferred: 0 });
  });
});

const POLICY = `
resources:
  Ticket:
    fields:
      id: { class: system }
      phone: { class: contact, mask: digits }
      team: { class: system }
      level: { class: system }
roles:
  agent:
    can:
      - { actions: [read], subject: Ticket, fields: [id, team], when: { level: { ne: secret } } }
      - { actions: [read_masked], subject: Ticket, fields: [phone], when: { level: { ne: secret } } }
  teamlead:
    can:
      - { actions: [read], subject: Ticket, fields: [id], when: { level: { ne: secret } } }
      - { actions: [read], subject: Ticket, fields: [phone], when: { team: $principal.team } }
`;

describe('deciding under the candidate', () => {
  const policy = compilePolicyText(POLICY, 'key');
  const as = (roles: string[]) => buildAbility(policy, { sub: 'ann', roles, tokenId: null, claims: {} });

  it('decides each field and the record’s visibility, with the parent’s', () => {
    const ability = as(['agent']);
    const none = claimDependence(policy, ['agent'], 'Ticket');
    expect(none).toEqual({ visibility: false, fields: new Set() });
    expect(decideCandidate(ability, policy, 'Ticket', { id: 't1', phone: '+39 1', team: 'a', level: 'low' }, true, none)).toEqual({
      visible: true,
      fields: { id: 'clear', team: 'clear', phone: 'masked', level: 'withheld' },
    });
    expect(decideCandidate(ability, policy, 'Ticket', { id: 't1', level: 'secret' }, true, none).visible).toBe(false);
    expect(decideCandidate(ability, policy, 'Ticket', { id: 't1', level: 'low' }, false, none).visible).toBe(false);
    expect(decideCandidate(ability, policy, 'Ticket', { id: 't1', level: 'low' }, 'undecided', none).visible).toBe('undecided');
  });

  it('marks what a token claim could decide as undecided', () => {
    const claims = claimDependence(policy, ['teamlead'], 'Ticket');
    expect(claims).toEqual({ visibility: true, fields: new Set(['phone']) });
    expect(decideCandidate(as(['teamlead']), policy, 'Ticket', { id: 't1', phone: '1', team: 'a', level: 'low' }, true, claims)).toEqual({
      visible: 'undecided',
      fields: { id: 'clear', phone: 'undecided', team: 'withheld', level: 'withheld' },
    });
  });
});

describe('notCompared', () => {
  const stored = (resources: string) => compilePolicyText(`resources:\n${resources}roles:\n  clerk:\n    can:\n      - { actions: [read], subject: Ticket }\n`, 'key');
  const ticket = (...fields: string[]) => `  Ticket:\n    plural: tickets\n    fields:\n      id: { type: id }\n${fields.map((f) => `      ${f}: { type: string }\n`).join('')}`;
  const note = (name: string) => `  ${name}:\n    plural: ${name.toLowerCase()}s\n    fields:\n      id: { type: id }\n`;

  it('lists the resources and fields only one of the two policies declares', () => {
    const inForce = stored(ticket('phone', 'fax') + note('Note'));
    const candidate = stored(ticket('phone', 'email') + note('Memo'));
    expect(notCompared(inForce, candidate)).toEqual([
      { resource: 'Ticket', field: 'fax', reason: 'the candidate does not declare this field' },
      { resource: 'Ticket', field: 'email', reason: 'only the candidate declares this field: no read of it was recorded' },
      { resource: 'Note', field: null, reason: 'the candidate does not declare this resource: its reads are not replayed' },
      { resource: 'Memo', field: null, reason: 'only the candidate stores this resource: no read of it was recorded' },
    ]);
    expect(notCompared(inForce, inForce)).toEqual([]);
  });
});
