import fc from 'fast-check';

// Random policies, principals and customers over one Customer resource, shared by the
// property tests that compare two ways of deciding the same thing.

export const FIELDS = ['id', 'fullName', 'email', 'phone', 'privacyLevel', 'assignees', 'marketingOptOut', 'createdAt'];
export const SUBS = ['alice', 'bob', 'carol'];
const NAMES = ['Ada', 'Bea', 'Cy'];

const fieldTest = fc.oneof(
  fc.record({ privacyLevel: fc.oneof(fc.constantFrom('standard', 'confidential'), fc.record({ ne: fc.constantFrom('standard', 'confidential') }), fc.record({ in: fc.subarray(['standard', 'confidential']) }), fc.record({ nin: fc.subarray(['standard', 'confidential']) })) }),
  fc.record({ marketingOptOut: fc.oneof(fc.boolean(), fc.record({ ne: fc.boolean() })) }),
  fc.record({ fullName: fc.oneof(fc.constantFrom(...NAMES), fc.record({ in: fc.subarray(NAMES) }), fc.record({ ne: fc.constantFrom(...NAMES) })) }),
  fc.record({ assignees: fc.record({ contains: fc.constantFrom('$principal.sub', ...SUBS) }) }),
  // A nullable field: null must mean the same in SQL as in memory, also under NOT.
  fc.record({ email: fc.oneof(fc.constantFrom(null, 'x@example.com'), fc.record({ ne: fc.constantFrom(null, 'x@example.com') }), fc.record({ in: fc.subarray([null, 'x@example.com']) }), fc.record({ nin: fc.subarray([null, 'x@example.com']) })) }),
);
const condition = fc.array(fieldTest, { minLength: 1, maxLength: 2 }).map((tests) => Object.assign({}, ...tests));
const when = fc.option(fc.array(condition, { minLength: 1, maxLength: 2 }), { nil: undefined });
const fieldsArb = fc.option(fc.subarray(FIELDS, { minLength: 1 }), { nil: undefined });
const canRule = fc.record({ actions: fc.subarray(['read', 'read_masked'] as const, { minLength: 1 }), fields: fieldsArb, when }).map((r) => ({
  ...r,
  subject: 'Customer',
  // read_masked only on fields that have a mask
  fields: r.actions.includes('read_masked') ? (r.fields ?? FIELDS).filter((f) => ['email', 'phone', 'fullName'].includes(f)).concat(r.actions.length > 1 ? [] : []) : r.fields,
}));
const cannotRule = fc.record({ actions: fc.constant(['read'] as const), fields: fieldsArb, when }).map((r) => ({ ...r, subject: 'Customer', reason: 'no' }));
const roleSpec = fc.record({ can: fc.array(canRule, { minLength: 1, maxLength: 4 }), cannot: fc.array(cannotRule, { maxLength: 2 }) }).map(({ can, cannot }) => ({
  can: can.filter((c) => !c.fields || c.fields.length > 0),
  cannot,
}));
// Two independent roles: the principal holds one or both, so the union of roles is covered.
export const policyDoc = fc.record({ r: roleSpec, s: roleSpec }).map((roles) => ({
  resources: {
    Customer: {
      fields: {
        id: { class: 'system' },
        fullName: { class: 'identity', mask: 'initials' },
        email: { class: 'contact', mask: 'email' },
        phone: { class: 'contact', mask: 'digits' },
        privacyLevel: { class: 'system' },
        assignees: { class: 'system' },
        marketingOptOut: { class: 'system' },
        createdAt: { class: 'system' },
      },
    },
  },
  roles,
}));
export const customer = fc.record({
  fullName: fc.constantFrom(...NAMES),
  email: fc.option(fc.constant('x@example.com'), { nil: null }),
  phone: fc.option(fc.constant('+39 300 000 0000'), { nil: null }),
  privacyLevel: fc.constantFrom('standard', 'confidential'),
  assignees: fc.subarray(SUBS),
  marketingOptOut: fc.boolean(),
});

/** The roles a principal holds: one, the other, or both in either order. */
export const heldRoles = fc.constantFrom<string[]>(['r'], ['s'], ['r', 's'], ['s', 'r']);
