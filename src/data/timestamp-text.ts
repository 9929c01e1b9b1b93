import pg from 'pg';

/**
 * A timestamp as records leave the service: the ISO text `Date.prototype.toISOString`
 * prints (UTC, milliseconds, `Z`), from the text PostgreSQL prints for the column.
 * pg would parse that text into a `Date` only for us to print it back, two objects and a
 * parse per timestamp per row; a list of 50 spent more on that than on rendering.
 */

/** pg's own parser for timestamps (postgres-date, for both with and without time zone). */
const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => unknown;

/**
 * What PostgreSQL prints for a timestamptz in a UTC session (DateStyle ISO): years
 * 1000-9999, up to 6 digits of fraction with trailing zeros dropped, offset `+00`.
 */
const UTC_TEXT = /^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,6}))?\+00$/;

/**
 * The ISO text of a timestamp's PostgreSQL text, exactly what pg's parser and
 * toISOString make of it: the common UTC form is rewritten in place (the fraction
 * truncated to milliseconds, as a `Date` truncates it); any other form (another session
 * time zone, a timestamp without time zone read as local time, BC, infinity) goes
 * through pg's parser as before, so nothing a client sees changes.
 */
export function timestampText(text: string): unknown {
  const utc = UTC_TEXT.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${`${utc[3] ?? ''}000`.slice(0, 3)}Z`;
  const parsed = parseTimestamp(text);
  return parsed instanceof Date ? parsed.toISOString() : parsed;
}
