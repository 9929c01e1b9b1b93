import { describe, expect, it } from 'vitest';
import { namesPurpose } from '../../src/core/purpose-consent.js';
import { compilePolicy, loadPolicyFile, PolicyError } from '../../src/policy/load-policy.js';
import { DEFAULT_POLICY_FILE, projectFile } from '../../src/paths.js';

// The policy's `purposes:` (consent per purpose) and how a request names its purpose.

const doc = (purposes: unknown, extra: Record<string, unknown> = {}) => ({
  resources: {
    Client: {
      plural: 'clients',
      fields: {
        id: { type: 'id' },
        email: { type: 'string', class: 'contact' },
        phone: { type: 'string', class: 'contact' },
        optedOut: { type: 'boolean' },
        segment: { type: 'string' },
        scan: { type: 'file' },
      },
      purposes,
    },
    ...extra,
  },
  roles: {},
});

const problems = (raw: unknown): string[] => {
  try {
    compilePolicy(raw, 'v', undefined, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  return [];
};

describe('purposes in the policy', () => {
  it('compiles the default policy’s marketing opt-out and the clinic’s reminders opt-in', () => {
    const customer = loadPolicyFile(DEFAULT_POLICY_FILE, undefined).model.resources.get('Customer')!;
    const marketing = customer.purposes?.get('marketing');
    expect(marketing).toMatchObject({ name: 'marketing', consent: { kind: 'optOut', field: { name: 'marketingOptOut', type: 'boolean' } }, contact: ['fullName', 'email', 'phone', 'address'] });
    const patient = loadPolicyFile(projectFile('policies/examples/clinic.yaml'), undefined).model.resources.get('Patient')!;
    expect(patient.purposes?.get('reminders')).toMatchObject({ consent: { kind: 'optIn', field: { name: 'remindersConsent' } }, contact: ['fullName', 'phone'] });
  });

  it('reports every problem at its path', () => {
    const found = problems(
      doc({
        marketing: { optOut: 'segment', contact: ['email', 'nope', 'id', 'scan'] },
        both: { optOut: 'optedOut', optIn: 'optedOut', contact: ['email'] },
        neither: { contact: ['email'] },
        self: { optIn: 'optedOut', contact: ['optedOut', 'email', 'email'] },
        missing: { optIn: 'ghost', contact: ['phone'] },
      }),
    );
    expect(found.sort()).toEqual([
      'p.yaml resources.Client.purposes.both: give exactly one consent field: optOut (true = the subject said no) or optIn (only true = the subject said yes)',
      'p.yaml resources.Client.purposes.marketing.contact[1]: unknown field "nope"',
      'p.yaml resources.Client.purposes.marketing.contact[2]: "id" names or decides the record: it cannot be a contact field',
      'p.yaml resources.Client.purposes.marketing.contact[3]: "scan" is a file: an audience gives fields of a row',
      'p.yaml resources.Client.purposes.marketing.optOut: "segment" is a string: the consent field must be a boolean',
      'p.yaml resources.Client.purposes.missing.optIn: unknown field "ghost"',
      'p.yaml resources.Client.purposes.neither: give exactly one consent field: optOut (true = the subject said no) or optIn (only true = the subject said yes)',
      'p.yaml resources.Client.purposes.self.contact: lists a field twice',
      'p.yaml resources.Client.purposes.self.contact[0]: "optedOut" names or decides the record: it cannot be a contact field',
    ]);
  });

  it('refuses purposes on a resource fieldguard does not store', () => {
    const found = problems(doc(undefined, { Lead: { fields: { email: { class: 'contact' } }, purposes: { marketing: { optIn: 'x', contact: ['email'] } } } }));
    expect(found).toEqual(['p.yaml resources.Lead.purposes: purposes describes a stored resource: give the resource a plural']);
  });
});

describe('the purpose a request declares', () => {
  // Any mention of the purpose as a word counts: the check fails closed, never open on a spelling.
  it.each([
    ['marketing', true],
    ['  Marketing: spring newsletter', true],
    ['ticket=42; purpose=marketing', true],
    ['marketing-spring', true],
    ['marketing_spring', true],
    ['newsletter marketing', true],
    ['support, marketing', true],
    ['remarketing', false],
    ['marketingfoo', false],
    ['support call', false],
    ['', false],
    [null, false],
  ])('%j names marketing: %j', (text, named) => expect(namesPurpose(text, 'marketing')).toBe(named));
});
