import * as trail from '../audit/subject-trail.repository.js';
import type { SubjectAccessRow, TrailTarget } from '../audit/subject-trail.repository.js';
import type { RequestContext } from './request-context.js';

/** The work one report may do; one object, so a test may lower it. */
export const SUBJECT_BOUNDS = { childrenPerResource: 200, annexRows: 1000, people: 500 };

/** A file that left in an export including the subject's records, from the export ledger. */
export interface AnnexExport {
  format: string | null;
  /** completed: the whole file left; aborted: cut short; unfinished: no end recorded (yet). */
  status: 'completed' | 'aborted' | 'unfinished';
  rows: number | null;
  bytes: number | null;
  sha256: string | null;
}

/** One request that named the subject's records: who, when, how, and what it showed. */
export interface AnnexAccess {
  eventId: string;
  occurredAt: string;
  who: { sub: string | null; roles: string[] };
  channel: string;
  purpose: string | null;
  action: string;
  outcome: 'allowed' | 'denied';
  reason: string | null;
  resource: string;
  recordIds: string[];
  fields: { clear: string[]; masked: string[]; withheld: string[] };
  export?: AnnexExport;
}

export interface AnnexPerson {
  sub: string;
  roles: string[];
  events: number;
  firstSeen: string;
  lastSeen: string;
}

/** "Who has seen your data": the people by name, then every access, newest first. */
export interface SeenBy {
  people: AnnexPerson[];
  peopleTruncated: boolean;
  accesses: AnnexAccess[];
  truncated: boolean;
}

/** The who-saw-it annex of the records `targets` name, bounded by SUBJECT_BOUNDS. */
export async function annexOf(ctx: RequestContext, targets: TrailTarget[]): Promise<SeenBy> {
  const rows = await trail.accessesNaming(ctx.db, targets, SUBJECT_BOUNDS.annexRows + 1);
  const viewers = await trail.viewersOf(ctx.db, targets, SUBJECT_BOUNDS.people + 1);
  return {
    people: viewers.slice(0, SUBJECT_BOUNDS.people).map((v) => ({
      sub: v.sub, roles: v.roles, events: v.events, firstSeen: new Date(v.firstSeen).toISOString(), lastSeen: new Date(v.lastSeen).toISOString(),
    })),
    peopleTruncated: viewers.length > SUBJECT_BOUNDS.people,
    accesses: rows.slice(0, SUBJECT_BOUNDS.annexRows).map(accessOf),
    truncated: rows.length > SUBJECT_BOUNDS.annexRows,
  };
}

function accessOf(row: SubjectAccessRow): AnnexAccess {
  const access: AnnexAccess = {
    eventId: row.eventId,
    occurredAt: new Date(row.occurredAt).toISOString(),
    who: { sub: row.actorSub, roles: row.actorRoles },
    channel: row.channel,
    purpose: row.purpose,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    resource: row.resourceType,
    recordIds: row.resourceIds,
    fields: { clear: row.fieldsClear, masked: row.fieldsMasked, withheld: row.fieldsWithheld },
  };
  if (row.action !== 'export' || row.outcome !== 'allowed') return access;
  const end = row.exportEnd;
  const number = (key: string) => (typeof end?.details?.[key] === 'number' ? (end.details[key] as number) : null);
  return {
    ...access,
    export: {
      format: row.exportFormat,
      status: end?.action === 'export.completed' ? 'completed' : end?.action === 'export.aborted' ? 'aborted' : 'unfinished',
      rows: number('rows'),
      bytes: number('bytes'),
      sha256: typeof end?.details?.sha256 === 'string' ? end.details.sha256 : null,
    },
  };
}
