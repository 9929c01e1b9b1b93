import { describe, expect, it } from 'vitest';
import { compileMaskStrategy, type MaskStrategy } from '../../src/policy/mask-strategies.js';

const strategy = (spec: string, key?: string) => {
  const s = compileMaskStrategy(spec, key);
  if (typeof s === 'string') throw new Error(s);
  return s as MaskStrategy;
};

describe('mask strategies', () => {
  it('digits turns every digit into X', () => {
    expect(strategy('digits').mask('+39 347 123 4567')).toBe('+39 XXX XXX XXXX');
  });
  it('last:N keeps the last N characters', () => {
    expect(strategy('last:4').mask('IT60X0542811101000000123456')).toBe('XXXXXXXXXXXXXXXXXXXXXXX3456');
    expect(strategy('last:2').mask('+39 347 123 4567')).toBe('XXX XXX XXX XX67');
  });
  it('first:N keeps the first N characters', () => {
    expect(strategy('first:2').mask('MRCGLI85')).toBe('MRXXXXXX');
  });
  it('email keeps the first letter and the domain', () => {
    expect(strategy('email').mask('john.doe@example.com')).toBe('j***@example.com');
  });
  it('redact and initials', () => {
    expect(strategy('redact').mask('anything')).toBe('[REDACTED]');
    expect(strategy('initials').mask('Elvira Alves')).toBe('Elvira A.');
  });
  it('hash gives equal tokens for equal inputs and nothing readable', () => {
    const h = strategy('hash', 'k'.repeat(32));
    expect(h.mask('a@b.c')).toBe(h.mask('a@b.c'));
    expect(h.mask('a@b.c')).not.toBe(h.mask('a@b.d'));
    expect(h.mask('a@b.c')).toMatch(/^hash:[0-9a-f]{16}$/);
  });
  it('keeps null as null', () => {
    expect(strategy('digits').mask(null)).toBeNull();
  });
  it('recognises its own output sent back', () => {
    expect(strategy('digits').looksMasked('+39 XXX XXX XXXX')).toBe(true);
    expect(strategy('digits').looksMasked('+39 347 123 4567')).toBe(false);
    expect(strategy('email').looksMasked('j***@example.com')).toBe(true);
    expect(strategy('last:4').looksMasked('XXXXXXXXXXXXXXXXXXXXXXX3456')).toBe(true);
    expect(strategy('last:4').looksMasked('IT60X0542811101000000123456')).toBe(false);
  });
  it('rejects unknown or malformed specs with a message', () => {
    expect(compileMaskStrategy('stars', undefined)).toMatch(/unknown mask strategy/);
    expect(compileMaskStrategy('last:x', undefined)).toMatch(/whole number/);
    expect(compileMaskStrategy('hash', undefined)).toMatch(/POLICY_HASH_KEY/);
  });
});

describe('digits and international prefixes', () => {
  it('keeps a country code written as its own group, masks one run together', () => {
    const digits = compileMaskStrategy('digits', undefined) as MaskStrategy;
    expect(digits.mask('+49 151 2345 6789')).toBe('+49 XXX XXXX XXXX');
    expect(digits.mask('+393471234567')).toBe('+XXXXXXXXXXXX');
    expect(digits.mask('081 555 0199')).toBe('XXX XXX XXXX');
  });
});
