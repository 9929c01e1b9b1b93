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
/** A ceiling, in case a marked statement's text varies more than expected (per visibility filter). */
const MAX_NAMED = 500;

/** Marks `text` to be prepared on each connection that runs it. */
export function prepareOnEachConnection(text: string): void {
  if (names.has(text) || names.size >= MAX_NAMED) return;
  names.set(text, `fg_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/**
 * "cached plan must not change result type": a prepared statement's result columns were
 * changed under it (a migration by a newer instance). The statement runs unnamed from
 * then on, so at most one request per connection sees the error.
 */
const RESULT_TYPE_CHANGED = '0A000';

/** A pg client that runs marked statements as named ones; everything else as before. */
export class PreparingClient extends pg.Client {
  override query(...args: any[]): any {
    const [text, values] = args as [unknown, unknown];
    const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? names.get(text) : undefined;
    if (!name) return (super.query as (...a: unknown[]) => unknown)(...args);
    return super.query({ name, text: text as string, values: values as unknown[] }).catch((err: unknown) => {
      if ((err as { code?: string }).code === RESULT_TYPE_CHANGED) names.delete(text as string);
      throw err;
    });
  }
}
