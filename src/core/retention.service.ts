import { sql } from 'kysely';
import type { AuditContext, AuditDecision } from '../audit/audit-event.js';
import { recordAuditEventsIn } from '../audit/audit-trail.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Db } from '../data/database.js';
import { childIds, countExpired, deleteRecords, expiredIds } from '../data/retention.repository.js';
import type { Log } from '../log.js';
import type { FieldModel, Model, ResourceModel } from '../model/model.js';

/**
 * Retention (`retention: { after, from, then }` on a stored resource): the records whose
 * `from` lies more than `after` ago are erased or deleted, with their children, in
 * batches. Each batch is one committed transaction that selects again what is still past
 * retention, acts on it and appends its audit events (`retention.applied`, one for the
 * resource's records and one per child resource that went with them); so a run stopped
 * half-way (a crash, a deploy, --limit) loses nothing, and the next run carries on.
 * Records under a legal hold are passed over and counted as held.
 */

/** Who acts in the trail when retention runs: no person, the service itself. */
export const RETENTION_ACTOR = 'fieldguard:retention';
export const RETENTION_ACTION = 'retention.applied';

/** Of these records of `r`, the ids a legal hold keeps (as given). */
export type HeldCheck = (db: Db, r: ResourceModel, ids: readonly string[]) => Promise<ReadonlySet<string>>;

/** What an erasure needs: the run's handle, trail and model. */
export interface EraseDeps {
  db: Db;
  log: Log;
  writer: AuditWriter;
  audit: AuditContext;
  model: Model;
}

/**
 * Erases one record of `r` and everything under it in a transaction of its own, audited
 * as its own `subject.erased` event; `held` when a legal hold refuses it.
 */
export type Eraser = (deps: EraseDeps, r: ResourceModel, id: string, reason: string) => Promise<{ eventId: string; children: Record<string, number> } | 'held'>;

export interface RetentionOptions {
  db: Db;
  model: Model;
  log: Log;
  writer: AuditWriter;
  audit: AuditContext;
  /** What "now" is: the cutoff of every rule is computed from it. */
  now: Date;
  /** Records per transaction. */
  batchSize: number;
  /** Stop after this many records (all resources together); undefined: until none is due. */
  limit?: number;
  /** Only these resources (by name); undefined: every resource with a retention rule. */
  resources?: readonly string[];
  /** `cli` or `schedule`: recorded in each event's details. */
  trigger: 'cli' | 'schedule';
  /** Progress lines (`Booking: 300/1250 deleted`), for the terminal. */
  onProgress?: (line: string) => void;
  held?: HeldCheck;
  eraser?: Eraser;
  /** Checked between batches: a stopping service ends the run there. */
  signal?: AbortSignal;
}

export interface RetentionDue {
  resource: string;
  after: string;
  from: string;
  then: 'erase' | 'delete';
  /** Records past retention, held ones included. */
  due: number;
  /** Of those, kept by a legal hold. */
  held: number;
  /** Children that would go with the others, per resource. */
  children: Record<string, number>;
  /** False when the dry run stopped looking at `scanLimit` records: `due` is then the full count, `held` and `children` those of the records looked at. */
  complete?: boolean;
}

export interface RetentionOutcome {
  resource: string;
  then: 'erase' | 'delete';
  /** Records erased or deleted by this run. */
  applied: number;
  held: number;
  /** Records still referred to by another resource's records (not a parent): left in place. */
  blocked: number;
  children: Record<string, number>;
  /** Whether the run stopped (limit or signal) before this resource was done. */
  stopped: boolean;
}

/** The resources with a rule, in the order the policy declares them (or those asked for). */
export function retainedResources(model: Model, only?: readonly string[]): ResourceModel[] {
  const all = [...model.resources.values()].filter((r) => r.retention);
  if (!only) return all;
  const unknown = only.filter((name) => !all.some((r) => r.name === name));
  if (unknown.length > 0) throw new Error(`no retention rule for ${unknown.join(', ')}: resources with one are ${all.map((r) => r.name).join(', ') || 'none'}`);
  return all.filter((r) => only.includes(r.name));
}

/** The resources whose parent is `r`, with the field pointing at it. */
function childrenOf(model: Model, r: ResourceModel): Array<[ResourceModel, FieldModel]> {
  return [...model.resources.values()]
    .filter((c) => c.parent?.resource === r.name)
    .map((c) => [c, c.fields.find((f) => f.name === c.parent!.field)!] as [ResourceModel, FieldModel]);
}

/** Every descendant of these records, deepest last, per resource (children, their children, ...). */
async function descendants(db: Db, model: Model, r: ResourceModel, ids: readonly string[]): Promise<Array<[ResourceModel, string[]]>> {
  const found: Array<[ResourceModel, string[]]> = [];
  for (const [child, field] of childrenOf(model, r)) {
    const mine = await childIds(db, child, field, ids);
    if (mine.length === 0) continue;
    found.push([child, mine]);
    found.push(...(await descendants(db, model, child, mine)));
  }
  return found;
}

const tally = (found: Array<[ResourceModel, string[]]>) => {
  const counts: Record<string, number> = {};
  for (const [child, ids] of found) counts[child.name] = (counts[child.name] ?? 0) + ids.length;
  return counts;
};

const PAGE = 1000;

/** The dry run: per resource, what is due, what a hold keeps, and the children that would go too. Changes nothing. */
export async function retentionDue(options: Omit<RetentionOptions, 'writer' | 'audit' | 'batchSize' | 'trigger' | 'log'> & { scanLimit?: number }): Promise<RetentionDue[]> {
  const { db, model, now } = options;
  const result: RetentionDue[] = [];
  for (const r of retainedResources(model, options.resources)) {
    const rule = r.retention!;
    const entry: RetentionDue = { resource: r.name, after: rule.after, from: rule.from.name, then: rule.then, due: 0, held: 0, children: {} };
    for (let after: string | null = null; ; ) {
      if (options.scanLimit !== undefined && entry.due >= options.scanLimit) {
        // Bounded (the API's dry run): the rest is counted, not looked at record by record.
        entry.due = await countExpired(db, r, now);
        entry.complete = false;
        break;
      }
      const ids = await expiredIds(db, r, now, { limit: options.scanLimit !== undefined ? Math.min(PAGE, options.scanLimit - entry.due) : PAGE, after });
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!;
      const held = options.held ? await options.held(db, r, ids) : new Set<string>();
      const going = ids.filter((id) => !held.has(id));
      entry.due += ids.length;
      entry.held += ids.length - going.length;
      for (const [name, n] of Object.entries(tally(await descendants(db, model, r, going)))) entry.children[name] = (entry.children[name] ?? 0) + n;
    }
    result.push(entry);
  }
  return result;
}

/** Applies every rule (or those asked for), batch by batch; returns what went per resource. */
export async function applyRetention(options: RetentionOptions): Promise<RetentionOutcome[]> {
  const outcomes: RetentionOutcome[] = [];
  let budget = options.limit ?? Number.POSITIVE_INFINITY;
  for (const r of retainedResources(options.model, options.resources)) {
    const outcome = await applyTo(options, r, budget);
    budget -= outcome.applied + outcome.blocked;
    outcomes.push(outcome);
  }
  return outcomes;
}

const isReferenced = (err: unknown) => (err as { code?: string }).code === '23503';

async function applyTo(options: RetentionOptions, r: ResourceModel, budget: number): Promise<RetentionOutcome> {
  const { db, now } = options;
  const rule = r.retention!;
  const done = rule.then === 'erase' ? 'erased' : 'deleted';
  const outcome: RetentionOutcome = { resource: r.name, then: rule.then, applied: 0, held: 0, blocked: 0, children: {}, stopped: false };
  // Held or still referred to: passed over for the rest of this run.
  const skip = new Set<string>();
  const total = await countExpired(db, r, now);
  if (total === 0) return outcome;
  const progress = () => {
    const extra = [outcome.held > 0 ? `${outcome.held} held` : '', outcome.blocked > 0 ? `${outcome.blocked} still referred to` : ''].filter(Boolean).join(', ');
    options.onProgress?.(`${r.name}: ${outcome.applied}/${total} ${done}${extra ? ` (${extra})` : ''}`);
  };
  for (;;) {
    const room = budget - outcome.applied - outcome.blocked;
    if (room <= 0 || options.signal?.aborted) {
      outcome.stopped = (await expiredIds(db, r, now, { limit: 1, skip: [...skip] })).length > 0;
      break;
    }
    const size = Math.min(options.batchSize, room);
    const batch = rule.then === 'erase' ? await eraseBatch(options, r, outcome, skip, size) : await deleteBatch(options, r, outcome, skip, size);
    if (batch.selected === 0) break;
    progress();
  }
  return outcome;
}

/**
 * One batch of `then: delete` in one transaction. Should another resource's record (a ref
 * that is not a parent) still point at one of them, the batch is rolled back and done
 * again one record per transaction, leaving those records in place.
 */
async function deleteBatch(options: RetentionOptions, r: ResourceModel, outcome: RetentionOutcome, skip: Set<string>, size: number): Promise<{ selected: number; applied: number }> {
  const { db, now } = options;
  try {
    return await db.transaction().execute((trx) => oneBatch(options, trx, r, outcome, skip, { limit: size, skip: [...skip], lock: true }));
  } catch (err) {
    if (!isReferenced(err)) throw err;
  }
  const batch = { selected: 0, applied: 0 };
  for (const id of await expiredIds(db, r, now, { limit: size, skip: [...skip] })) {
    batch.selected += 1;
    try {
      const one = await db.transaction().execute((trx) => oneBatch(options, trx, r, outcome, skip, { limit: 1, only: id, lock: true }));
      batch.applied += one.applied;
    } catch (err) {
      if (!isReferenced(err)) throw err;
      skip.add(id);
      outcome.blocked += 1;
    }
  }
  return batch;
}

/** One transaction: select what is still due, pass over the held, act, audit. */
async function oneBatch(
  options: RetentionOptions,
  trx: Db,
  r: ResourceModel,
  outcome: RetentionOutcome,
  skip: Set<string>,
  query: Parameters<typeof expiredIds>[3],
): Promise<{ selected: number; applied: number }> {
  const ids = await expiredIds(trx, r, options.now, query);
  if (ids.length === 0) return { selected: 0, applied: 0 };
  const held = options.held ? await options.held(trx, r, ids) : new Set<string>();
  const going = ids.filter((id) => !held.has(id));
  const found = await descendants(trx, options.model, r, going);
  // Deepest first: nothing is left pointing at a record already gone.
  for (const [child, childIdsOf] of [...found].reverse()) await deleteRecords(trx, child, childIdsOf);
  await deleteRecords(trx, r, going);
  const touched = found.map(([child, childIdsOf]) => [child.name, childIdsOf] as const);
  const children: Record<string, number> = {};
  for (const [name, list] of touched) children[name] = (children[name] ?? 0) + list.length;
  if (going.length > 0) {
    const details = detailsOf(options, r);
    const decisions: AuditDecision[] = [
      { action: RETENTION_ACTION, resourceType: r.name, resourceIds: going, outcome: 'allowed', details: { ...details, count: going.length, held: held.size, cascaded: children } },
      ...touched.map(([name, list]) => ({
        action: RETENTION_ACTION,
        resourceType: name,
        resourceIds: list,
        outcome: 'allowed' as const,
        details: { ...details, count: list.length, cascadeFrom: r.name },
      })),
    ];
    await recordAuditEventsIn(options.writer, trx, options.log, options.audit, decisions);
  }
  // Counted once the transaction's work is done; a rollback throws past this.
  for (const id of held) skip.add(id);
  outcome.applied += going.length;
  outcome.held += held.size;
  for (const [name, n] of Object.entries(children)) outcome.children[name] = (outcome.children[name] ?? 0) + n;
  return { selected: ids.length, applied: going.length };
}

const detailsOf = (options: RetentionOptions, r: ResourceModel) => {
  const rule = r.retention!;
  return { then: rule.then, after: rule.after, from: rule.from.name, trigger: options.trigger, asOf: options.now.toISOString() };
};

/**
 * One batch of `then: erase`: each record is erased as a subject (the erasure duty's
 * eraseSubject), in a transaction of its own with its own `subject.erased` event, which
 * names the records under it; then one `retention.applied` event names the batch and
 * those events. A record erased is never due again (the erasures table remembers it), so
 * a run stopped between the two carries on without erasing anything twice.
 */
async function eraseBatch(options: RetentionOptions, r: ResourceModel, outcome: RetentionOutcome, skip: Set<string>, size: number): Promise<{ selected: number; applied: number }> {
  const { db } = options;
  if (!options.eraser) throw new Error(`${r.name}: retention says erase, and no erasure is available`);
  const ids = await expiredIds(db, r, options.now, { limit: size, skip: [...skip] });
  if (ids.length === 0) return { selected: 0, applied: 0 };
  const held = options.held ? await options.held(db, r, ids) : new Set<string>();
  const rule = r.retention!;
  const deps: EraseDeps = { db, log: options.log, writer: options.writer, audit: options.audit, model: options.model };
  const going: string[] = [];
  const erasures: string[] = [];
  const children: Record<string, number> = {};
  let heldHere = 0;
  for (const id of ids) {
    skip.add(id);
    const result = held.has(id) ? 'held' : await options.eraser(deps, r, id, `retention: ${rule.after} after ${rule.from.name}`);
    if (result === 'held') {
      heldHere += 1;
      continue;
    }
    going.push(id);
    erasures.push(result.eventId);
    for (const [name, n] of Object.entries(result.children)) children[name] = (children[name] ?? 0) + n;
  }
  if (going.length > 0) {
    const decision: AuditDecision = {
      action: RETENTION_ACTION,
      resourceType: r.name,
      resourceIds: going,
      outcome: 'allowed',
      details: { ...detailsOf(options, r), count: going.length, held: heldHere, cascaded: children, erasures },
    };
    await db.transaction().execute((trx) => recordAuditEventsIn(options.writer, trx, options.log, options.audit, [decision]));
  }
  outcome.applied += going.length;
  outcome.held += heldHere;
  for (const [name, n] of Object.entries(children)) outcome.children[name] = (outcome.children[name] ?? 0) + n;
  return { selected: ids.length, applied: going.length };
}

/** Session advisory lock (class 7203): one retention run at a time across every instance and CLI. */
const LOCK = sql`7203::int, hashtext('retention')`;

/**
 * Runs `work` holding the retention lock on one session of `db`, or returns null at once
 * when another instance or CLI holds it. Everything `work` does goes through the session
 * it is given (the lock is that connection's).
 */
export async function withRetentionLock<T>(db: Db, work: (session: Db) => Promise<T>): Promise<T | null> {
  return db.connection().execute(async (session) => {
    const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${LOCK}) as locked`.execute(session);
    if (!got.rows[0]?.locked) return null;
    try {
      return await work(session);
    } finally {
      await sql`select pg_advisory_unlock(${LOCK})`.execute(session).catch(() => undefined);
    }
  });
}

/** The trail's view of a retention run: the system subject, on the operator channel (no person, no client address). */
export function retentionAuditContext(policyVersion: string, trigger: 'cli' | 'schedule'): AuditContext {
  return {
    principal: { sub: RETENTION_ACTOR, roles: [], tokenId: null, claims: {} },
    channel: 'cli',
    requestId: `retention-${trigger}-${process.pid}-${Date.now()}`,
    purpose: 'retention',
    clientIp: null,
    userAgent: trigger === 'cli' ? 'fieldguard-cli' : 'fieldguard-scheduler',
    policyVersion,
  };
}
