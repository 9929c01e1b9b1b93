import { z } from 'zod';
import * as scope from '../audit/incident-scope.repository.js';
import type { IncidentExport, IncidentWindow } from '../audit/incident-scope.repository.js';
import { verifySegment, type SegmentReport } from '../audit/verify-chain.js';
import { AppError } from '../errors.js';
import { MAX_SUB_LENGTH } from '../ids.js';
import { ExposureTally, type RootOf, type SubjectExposure } from './exposure-tally.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

/** How many people one scope may name, and how long a window it may cover. */
export const SCOPE_MAX_ACTORS = 20;
export const SCOPE_MAX_DAYS = 366;

/** The work one scope may do: events read, distinct records folded, chain rows verified. One object, so a test may lower it. */
export const SCOPE_BOUNDS = { maxEvents: 50_000, batch: 5_000, maxRecords: 100_000, maxExports: 1_000, maxVerifyRows: 500_000 };

export interface IncidentScope {
  actors: string[];
  window: { from: string; to: string };
  policy: { version: string };
  scanned: { events: number; truncated: boolean; scannedUntil: string | null };
  /** What GDPR Art. 33(3) asks for: how many people, how many records, which categories of data. */
  counts: { subjects: number; records: number; toNotify: number; maskedOnly: number; unprotectedOnly: number };
  categories: { clear: string[]; maskedOnly: string[] };
  /** Subjects a field the policy protects was seen clear for: the people to tell. */
  notify: SubjectExposure[];
  /** Subjects whose protected fields were only seen masked: reported, not to be told. */
  maskedOnly: SubjectExposure[];
  /** Subjects whose record was seen with no protected field, clear or masked (a name, a booking time). */
  unprotectedOnly: SubjectExposure[];
  exports: IncidentExport[];
  chain: { verdict: 'intact' | 'broken' | 'partial' | 'empty'; segment: SegmentReport | null; checkpointAfter: Awaited<ReturnType<typeof scope.checkpointAfter>> };
  limits: string[];
}

const DAY = 86_400_000;
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const querySchema = z.object({
  actor: z.union([z.string(), z.array(z.string())]).transform((a) => [...new Set([a].flat())]).pipe(z.array(z.string().min(1).max(MAX_SUB_LENGTH)).min(1).max(SCOPE_MAX_ACTORS)),
  from: instant,
  to: instant,
  format: z.enum(['json', 'csv']).default('json'),
}).strict();

/** A date alone means the whole day: from its first instant, to its last. */
const endOf = (text: string) => new Date(new Date(text).getTime() + (text.length === 10 ? DAY - 1 : 0));

function parseQuery(query: unknown): IncidentWindow {
  const parsed = querySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'query')))];
    throw new AppError('VALIDATION_FAILED', `Give 1 to ${SCOPE_MAX_ACTORS} actor parameters, and from and to as ISO 8601 dates or date-times: check ${fields.join(', ')}.`, { fields });
  }
  const { actor, from, to } = parsed.data;
  const w = { actors: actor.sort(), from: new Date(from), to: endOf(to) };
  if (w.from > w.to) throw new AppError('VALIDATION_FAILED', 'from must not be after to.', { fields: ['from', 'to'] });
  if (w.to.getTime() - w.from.getTime() > SCOPE_MAX_DAYS * DAY) throw new AppError('VALIDATION_FAILED', `The window may cover at most ${SCOPE_MAX_DAYS} days.`, { fields: ['from', 'to'] });
  return w;
}

/**
 * "Who was exposed to what?" after a breach: from the trail, every subject the actors
 * were shown in the window, what of them came clear, masked or withheld, the actors'
 * exports with their file hashes, the counts Art. 33(3) asks for, and the chain's
 * verification over the window so the answer can be defended. Audited; bounded.
 */
export async function incidentScope(ctx: RequestContext, query: unknown): Promise<IncidentScope> {
  return auditingDenials(ctx, { action: 'incident.scope', resourceType: 'Incident', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'Incident');
    const w = parseQuery(query);
    const result = await buildScope(ctx, w);
    await audit(ctx, {
      action: 'incident.scope',
      resourceType: 'Incident',
      resourceIds: [],
      outcome: 'allowed',
      details: { actors: w.actors, from: w.from.toISOString(), to: w.to.toISOString(), subjects: result.counts.subjects, toNotify: result.counts.toNotify, truncated: result.scanned.truncated, chain: result.chain.verdict },
    });
    return result;
  });
}

async function buildScope(ctx: RequestContext, w: IncidentWindow): Promise<IncidentScope> {
  const tally = new ExposureTally(ctx.policy);
  const parents = new Map<string, string | null>();
  let [after, events, truncated, scannedUntil] = ['0', 0, false, null as Date | null];
  scan: for (;;) {
    const room = Math.min(SCOPE_BOUNDS.batch, SCOPE_BOUNDS.maxEvents - events);
    // One more than taken: it tells whether anything follows.
    const batch = await scope.exposureEvents(ctx.db, w, after, room + 1);
    const take = batch.slice(0, room);
    await resolveParents(ctx, take, parents);
    for (const event of take) {
      const whole = tally.add(event, rootOf(ctx, parents), SCOPE_BOUNDS.maxRecords);
      [events, scannedUntil] = [events + 1, event.occurredAt];
      if (!whole) {
        truncated = true;
        break scan;
      }
    }
    if (batch.length <= take.length) break;
    if (events >= SCOPE_BOUNDS.maxEvents) {
      truncated = true;
      break;
    }
    after = take.at(-1)!.seq;
  }
  const subjects = tally.subjectsSeen();
  const notify = subjects.filter((s) => s.protectedClear.length > 0);
  const maskedOnly = subjects.filter((s) => s.protectedClear.length === 0 && s.masked.length > 0);
  const unprotectedOnly = subjects.filter((s) => s.protectedClear.length === 0 && s.masked.length === 0);
  const clearClasses = new Set(subjects.flatMap((s) => s.classes));
  const maskedClasses = new Set(subjects.flatMap((s) => s.masked.map((f) => tally.classOf(f))).filter((c) => c !== 'system' && !clearClasses.has(c)));
  return {
    actors: [...w.actors],
    window: { from: w.from.toISOString(), to: w.to.toISOString() },
    policy: { version: ctx.policy.version },
    scanned: { events, truncated, scannedUntil: scannedUntil?.toISOString() ?? null },
    counts: { subjects: subjects.length, records: tally.records.size, toNotify: notify.length, maskedOnly: maskedOnly.length, unprotectedOnly: unprotectedOnly.length },
    categories: { clear: [...clearClasses].sort(), maskedOnly: [...maskedClasses].sort() },
    notify,
    maskedOnly,
    unprotectedOnly,
    exports: await scope.exportsIn(ctx.db, w, SCOPE_BOUNDS.maxExports),
    chain: await verifyWindow(ctx, w),
    limits: limitsOf(truncated, scannedUntil),
  };
}

/** Looks up, level by level, the parent of every child record in these events not looked up yet. */
async function resolveParents(ctx: RequestContext, events: scope.ExposureEvent[], known: Map<string, string | null>): Promise<void> {
  let pending = events.flatMap((e) => e.resourceIds.map((id) => ({ resource: e.resourceType, id })));
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const [resource, ids] of groupBy(pending)) {
      const model = ctx.policy.model.resources.get(resource);
      if (!model?.parent) continue;
      const unknown = [...ids].filter((id) => !known.has(`${resource}\u0000${id}`));
      for (let i = 0; i < unknown.length; i += 1000) {
        const chunk = unknown.slice(i, i + 1000);
        const found = await scope.parentIds(ctx.db, model, chunk);
        for (const id of chunk) {
          const parent = found.get(id) ?? null;
          known.set(`${resource}\u0000${id}`, parent);
          if (parent !== null) next.push({ resource: model.parent.resource, id: parent });
        }
      }
    }
    pending = next;
  }
}

function groupBy(records: Array<{ resource: string; id: string }>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) out.set(r.resource, (out.get(r.resource) ?? new Set()).add(r.id));
  return out;
}

function rootOf(ctx: RequestContext, parents: Map<string, string | null>): RootOf {
  return (resource, id) => {
    let current = { resource, id };
    // The model refuses parent cycles; the bound is a second guard.
    for (let depth = 0; depth < 16; depth += 1) {
      const parentOf = ctx.policy.model.resources.get(current.resource)?.parent;
      if (!parentOf) return current;
      const parent = parents.get(`${current.resource}\u0000${current.id}`);
      if (parent === undefined || parent === null) return null;
      current = { resource: parentOf.resource, id: parent };
    }
    return null;
  };
}

/** Verifies the stretch of the chain holding the window, with one row either side so both ends are pinned. */
async function verifyWindow(ctx: RequestContext, w: IncidentWindow): Promise<IncidentScope['chain']> {
  const positions = await scope.windowPositions(ctx.db, w.from, w.to);
  if (!positions) return { verdict: 'empty', segment: null, checkpointAfter: null };
  const toSeq = (BigInt(positions.last) + 1n <= BigInt(positions.head) ? BigInt(positions.last) + 1n : BigInt(positions.head)).toString();
  const segment = await verifySegment(ctx.db, positions.first, toSeq, SCOPE_BOUNDS.maxVerifyRows);
  const verdict = !segment.ok ? 'broken' : segment.truncated ? 'partial' : 'intact';
  return { verdict, segment, checkpointAfter: await scope.checkpointAfter(ctx.db, toSeq) };
}

function limitsOf(truncated: boolean, scannedUntil: Date | null): string[] {
  const limits = [
    'Exposure is what the trail recorded as shown: reads, lists, exports, file downloads and the answers of creates and updates, over REST, GraphQL and the decisions API. What a person did with the data afterwards is not in the trail.',
    'A subject is a root record (one with no parent): a child record (a booking) counts toward its parent (the customer). A child whose parent is no longer stored is listed on its own, marked parentUnknown.',
    'To notify: a field the policy protects (one with a mask, or a file) was seen clear. Fields the policy never masks (a name or a booking time in the default policy) come with every view of a record: they are listed under clear and in the categories, but alone do not put a subject on the list.',
    'Exports list the records they were allowed to contain; the ledger hash (sha256) identifies the exact file that left.',
  ];
  if (truncated) limits.push(`The scope stopped at its cap (${SCOPE_BOUNDS.maxEvents} events or ${SCOPE_BOUNDS.maxRecords} records); events after ${scannedUntil?.toISOString() ?? 'the start of the window'} were not read: narrow the window or the actors.`);
  return limits;
}
