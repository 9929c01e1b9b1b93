import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldDecision, RenderedRecord } from '../../src/policy/field-access.js';
import { recordJson, recordJsonText, recordPageText } from '../../src/rest/record-json.js';

// The REST doors send records as text built without the per-record copy; the bytes must be
// those JSON.stringify makes of the REST shape (recordJson), whatever the record holds.
const fieldName = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,12}$/);
const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.string(), { maxLength: 3 }), fc.record({ mediaType: fc.string(), sizeBytes: fc.nat() }));
const names = fc.uniqueArray(fieldName, { maxLength: 6 });
const decision = fc.record({ clear: names, masked: names, withheld: names }).map((d): FieldDecision => Object.freeze(d));
const rendered = fc.record({ values: fc.dictionary(fieldName, value, { maxKeys: 8 }), access: decision }).map((r): RenderedRecord => r);

describe('records as REST JSON text', () => {
  it('are the bytes JSON.stringify makes of the REST shape', () => {
    fc.assert(
      fc.property(rendered, (record) => {
        expect(recordJsonText(record)).toBe(JSON.stringify(recordJson(record)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('a page is the bytes of { items, nextCursor }, with or without a next cursor', () => {
    fc.assert(
      fc.property(fc.array(rendered, { maxLength: 5 }), fc.option(fc.string()), (items, nextCursor) => {
        expect(recordPageText({ items, nextCursor })).toBe(JSON.stringify({ items: items.map(recordJson), nextCursor }));
      }),
      { numRuns: 500 },
    );
  });

  it('a record showing nothing still says why', () => {
    const access = Object.freeze({ clear: [], masked: [], withheld: ['email'] });
    expect(recordJsonText({ values: {}, access })).toBe('{"_access":{"masked":[],"withheld":["email"]}}');
    expect(recordJsonText({ values: { email: undefined }, access })).toBe('{"_access":{"masked":[],"withheld":["email"]}}');
  });
});
