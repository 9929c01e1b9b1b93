import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainHash, contentObject, contentOf, type ChainedContent } from '../../src/audit/chain.js';

const text = fc.string({ maxLength: 12 });
const texts = fc.array(text, { maxLength: 4 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const json: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<unknown>, { maxKeys: 4 });
const row: fc.Arbitrary<ChainedContent> = fc.record({
  seq: fc.bigInt({ min: 1n, max: 2n ** 62n }).map(String),
  eventId: fc.uuid(),
  occurredAt: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
  actorSub: fc.option(text, { nil: null }),
  actorRoles: texts,
  actorTokenId: optional(fc.option(text, { nil: null })),
  channel: fc.constantFrom('rest', 'graphql', 'cli'),
  action: text,
  resourceType: text,
  resourceIds: texts,
  fieldsClear: texts,
  fieldsMasked: texts,
  fieldsWithheld: texts,
  fieldsWritten: texts,
  outcome: fc.constantFrom('allowed', 'denied'),
  reason: optional(fc.option(text, { nil: null })),
  requestId: optional(fc.option(text, { nil: null })),
  purpose: optional(fc.option(text, { nil: null })),
  clientIp: optional(fc.option(text, { nil: null })),
  userAgent: optional(fc.option(text, { nil: null })),
  policyVersion: text,
  details: fc.option(json, { nil: null }),
  prevHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
}) as fc.Arbitrary<ChainedContent>;

/** Written independently of chain.ts: JSON with keys sorted at every depth. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => sortedJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Chains already written must keep verifying: the text a row's hash covers never changes.
describe('the hashed content of an audit row', () => {
  it('is the canonical JSON of the row, for random rows', () => {
    fc.assert(
      fc.property(row, (r) => {
        expect(contentOf(r)).toBe(canonicalJson(contentObject(r)));
        expect(contentOf(r)).toBe(sortedJson(contentObject(r)));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes prev_hash followed by that text with SHA-256', () => {
    fc.assert(
      fc.property(row, (r) => {
        expect(chainHash(r)).toBe(createHash('sha256').update(r.prevHash + sortedJson(contentObject(r))).digest('hex'));
      }),
      { numRuns: 100 },
    );
  });
});
