import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { timestampText } from '../../src/data/timestamp-text.js';

/** What records carried before timestamps were read as text: pg's Date, printed by toISOString. */
const throughDate = (text: string) => {
  const parsed = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ)(text) as unknown;
  return parsed instanceof Date ? parsed.toISOString() : parsed;
};

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A timestamptz as PostgreSQL prints it in a UTC session: microseconds, trailing zeros dropped. */
const postgresText = (ms: number, micros: number) => {
  const d = new Date(ms);
  const fraction = pad(d.getUTCMilliseconds() * 1000 + micros, 6).replace(/0+$/, '');
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `${date} ${time}${fraction ? `.${fraction}` : ''}+00`;
};

describe('timestamps read as text', () => {
  it('print as ISO text in UTC with milliseconds, the fraction cut, not rounded', () => {
    expect(timestampText('2026-12-03 18:35:07.123956+00')).toBe('2026-12-03T18:35:07.123Z');
    expect(timestampText('2026-12-03 18:35:07.5+00')).toBe('2026-12-03T18:35:07.500Z');
    expect(timestampText('2026-12-03 18:35:07+00')).toBe('2026-12-03T18:35:07.000Z');
  });

  it('in another session time zone, or without one, read as pg always read them', () => {
    expect(timestampText('2026-12-03 20:35:07.25+02')).toBe('2026-12-03T18:35:07.250Z');
    expect(timestampText('2026-12-03 13:05:07+05:30')).toBe('2026-12-03T07:35:07.000Z');
    expect(timestampText('infinity')).toBe(Infinity);
    const local = '2026-12-03 18:35:07';
    expect(timestampText(local)).toBe(new Date(2026, 11, 3, 18, 35, 7).toISOString());
  });

  it('are exactly what the Date pg parsed printed, for any instant of years 1000-9999', () => {
    const instants = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
    fc.assert(
      fc.property(instants, fc.integer({ min: 0, max: 999 }), (ms, micros) => {
        const text = postgresText(ms, micros);
        expect(timestampText(text)).toBe(throughDate(text));
      }),
      { numRuns: 20_000 },
    );
  });
});
