import { describe, expect, it } from 'vitest';
import { buildAbility, subjectOf } from '../../src/policy/ability.js';
import { compilePolicy } from '../../src/policy/load-policy.js';

const policy = compilePolicy(
  {
    resources: { Customer: { fields: { id: { class: 'system' }, department: { class: 'system' }, privacyLevel: { class: 'system' } } } },
    roles: {
      byList: { can: [{ actions: ['read'], subject: 'Customer', when: { department: { in: ['$principal.departments'] } } }] },
      byValue: { can: [{ actions: ['read'], subject: 'Customer', when: { department: { eq: '$principal.departments' } } }] },
      guarded: {
        can: [{ actions: ['read'], subject: 'Customer' }],
        cannot: [{ actions: ['read'], subject: 'Customer', when: { department: { ne: '$principal.home' } }, reason: 'other departments' }],
      },
    },
  },
  'v',
  undefined,
);

const principal = (roles: string[], claims: Record<string, string | string[]>) => ({ sub: 's', roles, tokenId: null, claims });
const canRead = (roles: string[], claims: Record<string, string | string[]>, department: string) =>
  buildAbility(policy, principal(roles, claims)).can('read', subjectOf('Customer', { id: '1', department, privacyLevel: 'standard' }));

describe('principal claims in conditions', () => {
  it('spreads an array claim inside a list (`in`)', () => {
    expect(canRead(['byList'], { departments: ['sales', 'legal'] }, 'legal')).toBe(true);
    expect(canRead(['byList'], { departments: ['sales', 'legal'] }, 'hr')).toBe(false);
    expect(canRead(['byList'], { departments: 'legal' }, 'legal')).toBe(true);
  });

  it('fails closed where one value is expected but the claim is an array, or missing', () => {
    expect(canRead(['byValue'], { departments: ['legal'] }, 'legal')).toBe(false);
    expect(canRead(['byValue'], {}, 'legal')).toBe(false);
    expect(canRead(['byValue'], { departments: 'legal' }, 'legal')).toBe(true);
  });

  it('turns a cannot naming a missing claim into an unconditional denial', () => {
    expect(canRead(['guarded'], { home: 'legal' }, 'legal')).toBe(true);
    expect(canRead(['guarded'], { home: 'legal' }, 'sales')).toBe(false);
    expect(canRead(['guarded'], {}, 'legal')).toBe(false);
  });
});
