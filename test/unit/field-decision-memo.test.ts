import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import { buildAbility } from '../../src/policy/ability.js';
import { decideFields } from '../../src/policy/field-access.js';
import { compilePolicy } from '../../src/policy/load-policy.js';
import { customer, heldRoles, policyDoc, SUBS } from '../helpers/policy-arbitraries.js';

// Property: field decisions remembered per pattern of matching rules are the decisions
// a fresh ability, which has remembered nothing, computes for the same record.
describe('remembered field decisions', () => {
  it('equal the decisions computed afresh, record by record, for random policies', () => {
    fc.assert(
      fc.property(policyDoc, fc.constantFrom(...SUBS), heldRoles, fc.array(customer, { minLength: 1, maxLength: 12 }), (doc, sub, roles, records) => {
        const policy = compilePolicy(doc, 'v', undefined);
        const principal: Principal = { sub, roles, tokenId: null, claims: {} };
        const shared = buildAbility(policy, principal);
        for (const record of records) {
          const fresh = decideFields(buildAbility(policy, principal), policy, 'Customer', record);
          expect(decideFields(shared, policy, 'Customer', record)).toEqual(fresh);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cannot be changed by a caller', () => {
    const policy = compilePolicy({ resources: { Customer: { fields: { id: { class: 'system' } } } }, roles: { r: { can: [{ actions: ['read'], subject: 'Customer' }] } } }, 'v', undefined);
    const decision = decideFields(buildAbility(policy, { sub: 'a', roles: ['r'], tokenId: null, claims: {} }), policy, 'Customer', { id: '1' });
    expect(() => decision.clear.push('secret')).toThrow(TypeError);
  });
});
