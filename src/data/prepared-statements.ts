import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Named (prepared) statements for the few statements every request runs: the read of a
 * customer by id, the audit chain's lock, head and insert, the read-budget call. A named
 * statement is parsed and planned once per connection and then only bound and executed;
 * on a primary-key read that saves PostgreSQL about 40 % of its work. Only statements
 * marked here are named, so each connection holds a small, bounded set, and only ones
 * whose best plan does not depend on the values bound (a generic plan is fine).
 */
const names = new Map<string, string>();
/** Texts that failed as named statements: they run unnamed for the rest of the process. */
const retired = new Set<string>();
/** A ceiling, in case a marked statement's text varies more than expected (per visibility filter). */
const MAX_NAMED = 500;

/** Marks `text` to be prepared on each connection that runs it. */
export function prepareOnEachConnection(text: string): void {
  if (names.has(text) || retired.has(text) || names.size >= MAX_NAMED) return;
  names.set(text, `fg_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/**
 * Errors that mean a named statement cannot be used as such: its result columns were
 * changed under it by a migration of a newer instance ("cached plan must not change
 * result type", 0A000, raised on every later use of that statement on that connection),
 * or sessions are shared behind a pooler (26000 does not exist, 42P05 already exists).
 * The text is retired: every connection runs it unnamed from then on, so the statement
 * prepared on the server is never used again, and one request sees the error.
 */
const UNUSABLE_NAMED = new Set(['0A000', '26000', '42P05']);

/** A pg client that runs marked statements as named ones; everything else as before. */
export class PreparingClient extends pg.Client {
  override query(...args: any[]): any {
    const [text, values] = args as [unknown, unknown];
    const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? names.get(text) : undefined;
    if (!name) return (super.query as (...a: unknown[]) => unknown)(...args);
    return super.query({ name, text: text as string, values: values as unknown[] }).catch((err: unknown) => {
      if (UNUSABLE_NAMED.has((err as { code?: string }).code ?? '')) {
        names.delete(text as string);
        retired.add(text as string);
      }
      throw err;
    });
  }
}
