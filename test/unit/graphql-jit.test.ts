import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { isTheOnlyOperation } from '../../src/graphql/jit.js';

describe('which requests may run a compiled document (graphql/jit.ts)', () => {
  it('one operation, unnamed or named by the request, or the request naming none', () => {
    expect(isTheOnlyOperation(parse('{ a }'), undefined)).toBe(true);
    expect(isTheOnlyOperation(parse('{ a }'), null)).toBe(true);
    expect(isTheOnlyOperation(parse('query A { a }'), 'A')).toBe(true);
    expect(isTheOnlyOperation(parse('query A { ...F } fragment F on Q { a }'), 'A')).toBe(true);
  });

  it('not a document with two operations, whatever the name, nor a name the document lacks', () => {
    expect(isTheOnlyOperation(parse('query A { a } query B { b }'), 'A')).toBe(false);
    expect(isTheOnlyOperation(parse('query A { a } mutation B { b }'), undefined)).toBe(false);
    expect(isTheOnlyOperation(parse('query A { a }'), 'B')).toBe(false);
    expect(isTheOnlyOperation(parse('{ a }'), 'A')).toBe(false);
    expect(isTheOnlyOperation(parse('query A { a }'), '')).toBe(false);
    expect(isTheOnlyOperation(parse('fragment F on Q { a }'), undefined)).toBe(false);
  });
});
