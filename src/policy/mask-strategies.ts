import { createHmac } from 'node:crypto';

/** A compiled mask: turns a clear value into what a caller with `read_masked` sees. */
export interface MaskStrategy {
  readonly name: string;
  mask(value: unknown): unknown;
  /** True when a value looks like this strategy's output, i.e. a masked value sent back. */
  looksMasked(value: unknown): boolean;
}

const REDACTED = '[REDACTED]';

const onStrings = (fn: (s: string) => string) => (value: unknown): unknown => {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => fn(String(item)));
  return fn(String(value));
};

const matches = (pattern: RegExp) => (value: unknown) => typeof value === 'string' && pattern.test(value);

function keepEnd(s: string, keep: number, end: 'first' | 'last'): string {
  const chars = [...s];
  return chars
    .map((c, i) => {
      const kept = end === 'last' ? i >= chars.length - keep : i < keep;
      return kept || c === ' ' ? c : 'X';
    })
    .join('');
}

/** Every digit becomes X, except an international prefix written as its own group (`+39 `). */
function maskDigits(s: string): string {
  const prefix = /^\+\d{1,3}(?=[ .-])/.exec(s)?.[0] ?? '';
  return prefix + s.slice(prefix.length).replace(/\d/g, 'X');
}

function maskEmail(s: string): string {
  const at = s.lastIndexOf('@');
  if (at <= 0) return REDACTED;
  return `${[...s][0]}***${s.slice(at)}`;
}

function initials(s: string): string {
  const [first, ...rest] = s.trim().split(/\s+/);
  if (!first) return '';
  return [first, ...rest.map((part) => `${[...part][0]!.toUpperCase()}.`)].join(' ');
}

/**
 * Parses a strategy spec (`digits`, `last:4`, `first:2`, `email`, `redact`, `hash`,
 * `initials`). Returns an error message instead of throwing so the policy loader can
 * list every problem at once.
 */
export function compileMaskStrategy(spec: string, hashKey: string | undefined): MaskStrategy | string {
  const [name, arg] = spec.split(':');
  const n = arg === undefined ? NaN : Number(arg);
  switch (name) {
    case 'digits':
      if (arg !== undefined) break;
      return { name: spec, mask: onStrings(maskDigits), looksMasked: matches(/X{2,}/) };
    case 'last':
    case 'first':
      if (!Number.isInteger(n) || n < 0) return `mask "${spec}" needs a whole number, e.g. ${name}:4`;
      return { name: spec, mask: onStrings((s) => keepEnd(s, n, name)), looksMasked: matches(/X{4,}/) };
    case 'email':
      if (arg !== undefined) break;
      return { name: spec, mask: onStrings(maskEmail), looksMasked: matches(/\*\*\*@/) };
    case 'redact':
      if (arg !== undefined) break;
      return { name: spec, mask: onStrings(() => REDACTED), looksMasked: matches(/^\[REDACTED\]$/) };
    case 'initials':
      if (arg !== undefined) break;
      return { name: spec, mask: onStrings(initials), looksMasked: () => false };
    case 'hash': {
      if (arg !== undefined) break;
      if (!hashKey) return 'mask "hash" needs POLICY_HASH_KEY to be set';
      const token = (s: string) => `hash:${createHmac('sha256', hashKey).update(s).digest('hex').slice(0, 16)}`;
      return { name: spec, mask: onStrings(token), looksMasked: matches(/^hash:[0-9a-f]{16}$/) };
    }
  }
  return `unknown mask strategy "${spec}" (known: digits, last:N, first:N, email, redact, hash, initials)`;
}
