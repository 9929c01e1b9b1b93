import { RELATIVE_TIME } from './policy-document.js';

/**
 * Relative times in conditions (`startsAt: { after: -30d }`). The loader compiles them to
 * `$now<offset>` placeholders; the ability binds them to an ISO 8601 instant when it is
 * built. ISO strings in UTC compare correctly as strings, so CASL's in-memory `$gte` on a
 * record's ISO timestamp and PostgreSQL's `timestamptz >= $1` agree.
 */
export const NOW_PREFIX = '$now';

/** How coarse "now" is: abilities are cached per bucket, so a window moves once a minute. */
export const CLOCK_BUCKET_MS = 60_000;

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `-30d` -> `$now-30d`; `now` -> `$now`. */
export const toClockPlaceholder = (spec: string) => (spec === 'now' ? NOW_PREFIX : `${NOW_PREFIX}${/^[+-]/.test(spec) ? spec : `+${spec}`}`);

export const isClockPlaceholder = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(NOW_PREFIX) && RELATIVE_TIME.test(value.slice(NOW_PREFIX.length) || 'now');

/** The instant a placeholder stands for, given the (bucketed) current time. */
export function resolveClock(placeholder: string, nowMs: number): string {
  const offset = placeholder.slice(NOW_PREFIX.length);
  if (offset === '') return new Date(nowMs).toISOString();
  const match = /^([+-])([0-9]+)([smhd])$/.exec(offset)!;
  const sign = match[1] === '-' ? -1 : 1;
  return new Date(nowMs + sign * Number(match[2]) * UNIT_MS[match[3]!]!).toISOString();
}

/** The start of the current clock bucket: every ability built in it binds the same "now". */
export const clockBucket = (nowMs = Date.now()) => Math.floor(nowMs / CLOCK_BUCKET_MS) * CLOCK_BUCKET_MS;
