import { api, type ModelResource, type ModelView, type RecordJson } from '../api.js';

/** An audit event as GET /v1/audit/events publishes it (field names, never values). */
export interface TrailEvent {
  eventId: string;
  occurredAt: string;
  actor: { sub: string | null; roles: string[] };
  channel: string;
  action: string;
  resourceType: string;
  resourceIds: string[];
  fields: { clear: string[]; masked: string[]; withheld: string[]; written: string[] };
  outcome: 'allowed' | 'denied';
  reason: string | null;
  details: Record<string, unknown> | null;
  seq: string;
  hash?: string;
}

interface FeedPage {
  items: TrailEvent[];
  nextCursor: string | null;
}

const PAGE = 100;

/**
 * The events matching a filter, oldest first, at most `maxPages` pages of the feed: the
 * console's reads are bounded whatever the trail holds. `more` says the cap was reached.
 */
export async function readTrail(filter: Record<string, string>, maxPages: number, signal?: AbortSignal): Promise<{ events: TrailEvent[]; more: boolean }> {
  const events: TrailEvent[] = [];
  let after: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const q = new URLSearchParams({ limit: String(PAGE), ...filter });
    if (after) q.set('after', after);
    const page: FeedPage = await api<FeedPage>(`/v1/audit/events?${q}`, signal ? { signal } : {});
    events.push(...page.items);
    if (page.items.length < PAGE || !page.nextCursor) return { events, more: false };
    after = page.nextCursor;
  }
  return { events, more: true };
}

/**
 * The export an event belongs to: an `export` event's own id, or for an export's further
 * records (`export.records`, one per chunk of ids after the first) the export they continue.
 */
export function exportIdOf(e: TrailEvent): string | null {
  if (e.outcome !== 'allowed') return null;
  if (e.action === 'export') return e.eventId;
  const id = e.details?.exportEventId;
  return e.action === 'export.records' && typeof id === 'string' ? id : null;
}

/** The end an export's ledger recorded: export.completed carries the file's sha256. */
export interface ExportEnd {
  status: 'completed' | 'aborted';
  sha256: string | null;
  rows: number | null;
  bytes: number | null;
}

/** The ends of these export events, read from the feed (one bounded read per exporter). */
export async function exportEnds(exports: TrailEvent[], signal?: AbortSignal): Promise<Map<string, ExportEnd>> {
  const ends = new Map<string, ExportEnd>();
  const byActor = new Map<string, TrailEvent[]>();
  for (const e of exports) if (e.actor.sub) byActor.set(e.actor.sub, [...(byActor.get(e.actor.sub) ?? []), e]);
  for (const [actor, theirs] of [...byActor].slice(0, 10)) {
    const from = theirs.map((e) => e.occurredAt).sort()[0]!;
    for (const action of ['export.completed', 'export.aborted']) {
      const { events } = await readTrail({ actor, action, from }, 5, signal);
      for (const end of events) {
        const id = end.details?.exportEventId;
        if (typeof id !== 'string') continue;
        const num = (v: unknown) => (typeof v === 'number' ? v : null);
        ends.set(id, {
          status: action === 'export.completed' ? 'completed' : 'aborted',
          sha256: typeof end.details?.sha256 === 'string' ? end.details.sha256 : null,
          rows: num(end.details?.rows),
          bytes: num(end.details?.bytes),
        });
      }
    }
  }
  return ends;
}

/** The field that names a record to a person: the first string field of class identity (fullName). */
export const nameFieldOf = (resource: ModelResource | undefined) =>
  resource?.fields.find((f) => f.class === 'identity' && (f.type === 'string' || f.type === 'text') && f.name !== resource.idField);

/** A record's name as the viewer may see it: clear, masked (stays masked) or not visible. */
export type RecordName = { state: 'clear' | 'masked'; text: string } | { state: 'hidden' } | { state: 'none' };

/** At most this many records are read to name them at once; the rest wait for "Name more". */
export const NAME_BATCH = 25;

/**
 * Names records by reading them through the API as the viewer (each read is theirs, and
 * audited): a record they may not see, or whose name field they may not see, is not named.
 */
export async function nameRecords(model: ModelView, type: string, ids: string[], signal?: AbortSignal): Promise<Map<string, RecordName>> {
  const resource = model.resources.find((r) => r.name === type);
  const field = nameFieldOf(resource);
  const names = new Map<string, RecordName>();
  if (!resource || !field) {
    for (const id of ids) names.set(id, resource ? { state: 'none' } : { state: 'hidden' });
    return names;
  }
  // A few at a time: the service is shared, and a read budget may count them.
  const queue = ids.slice(0, NAME_BATCH);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const record = await api<RecordJson>(`/v1/${encodeURIComponent(resource.plural)}/${encodeURIComponent(id)}`, signal ? { signal } : {});
        const value = record[field.name];
        if (record._access.withheld.includes(field.name) || typeof value !== 'string') names.set(id, { state: 'hidden' });
        else names.set(id, { state: record._access.masked.includes(field.name) ? 'masked' : 'clear', text: value });
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        names.set(id, { state: 'hidden' });
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return names;
}
