import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, errorWords } from '../api.js';
import { ChainState } from './Chain.js';
import { EventTable, flaggedSummary } from './events.js';
import type { TrailEvent } from './trail.js';
import { Problem } from './ui.js';

/** An audit event as the feed publishes it (field names, never values). */
type AuditEvent = TrailEvent;

interface Filters {
  actor: string;
  resourceId: string;
  action: string;
  outcome: '' | 'allowed' | 'denied';
  from: string;
  to: string;
}

const PAGE = 100;
/** The timeline keeps the newest events; a longer history is the feed's or the CLI's. */
const KEEP = 500;
/** Pages read when a filter is applied: bounded, whatever the trail holds. */
const FIRST_PAGES = 20;
const POLL_MS = 3000;

/** `datetime-local` value for a moment, in the browser's time zone. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

const queryOf = (f: Filters, after: string | null) => {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (after) q.set('after', after);
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.resourceId.trim()) q.set('resourceId', f.resourceId.trim());
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.outcome) q.set('outcome', f.outcome);
  if (f.from) q.set('from', new Date(f.from).toISOString());
  if (f.to) q.set('to', new Date(f.to).toISOString());
  return q;
};

/** The audit timeline, newest first, filtered, and kept up to date as events arrive. */
export function Activity() {
  const initial: Filters = { actor: '', resourceId: '', action: '', outcome: '', from: localInput(Date.now() - 24 * 3600_000), to: '' };
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [updated, setUpdated] = useState<string>('');
  const cursor = useRef<string | null>(null);
  const ids = { actor: useId(), resourceId: useId(), action: useId(), outcome: useId(), from: useId(), to: useId() };

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    cursor.current = null;
    setEvents(null);
    setProblem(null);
    const read = async (pages: number) => {
      const fresh: AuditEvent[] = [];
      for (let i = 0; i < pages; i++) {
        const page = await api<{ items: AuditEvent[]; nextCursor: string | null }>(`/v1/audit/events?${queryOf(filters, cursor.current)}`);
        fresh.push(...page.items);
        cursor.current = page.nextCursor ?? cursor.current;
        if (page.items.length < PAGE) break;
      }
      return fresh;
    };
    const poll = async (first: boolean) => {
      try {
        const fresh = await read(first ? FIRST_PAGES : 2);
        if (stopped) return;
        setEvents((old) => [...fresh.reverse(), ...(first ? [] : (old ?? []))].slice(0, KEEP));
        setUpdated(new Date().toLocaleTimeString());
        setProblem(null);
      } catch (err) {
        if (stopped) return;
        setProblem(errorWords(err));
        if (first) setEvents([]);
      }
      if (!stopped) timer = setTimeout(() => void poll(false), POLL_MS);
    };
    void poll(true);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [filters]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });

  return (
    <>
      <h1>Activity</h1>
      <ChainState />
      <form className="filters" onSubmit={apply} aria-label="Filter the activity">
        <div>
          <label htmlFor={ids.actor}>Person</label>
          <input id={ids.actor} value={draft.actor} onChange={set('actor')} maxLength={256} placeholder="e.g. alice" />
        </div>
        <div>
          <label htmlFor={ids.resourceId}>Record id</label>
          <input id={ids.resourceId} value={draft.resourceId} onChange={set('resourceId')} maxLength={64} />
        </div>
        <div>
          <label htmlFor={ids.action}>Action</label>
          <input id={ids.action} value={draft.action} onChange={set('action')} maxLength={64} pattern="[A-Za-z0-9_.:\-]+" placeholder="e.g. read" />
        </div>
        <div>
          <label htmlFor={ids.outcome}>Outcome</label>
          <select id={ids.outcome} value={draft.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            <option value="allowed">allowed</option>
            <option value="denied">denied</option>
          </select>
        </div>
        <div>
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" value={draft.from} onChange={set('from')} />
        </div>
        <div>
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="datetime-local" value={draft.to} onChange={set('to')} />
        </div>
        <div>
          <button type="submit">Show</button>
        </div>
      </form>
      <Problem problem={problem} />
      {!events && !problem && <p aria-live="polite">Loading…</p>}
      {events && (
        <p className="muted" aria-live="polite">
          {events.length} event{events.length === 1 ? '' : 's'}, newest first{events.length >= KEEP ? ` (the latest ${KEEP})` : ''}; updated {updated}, live. {flaggedSummary(events)}
        </p>
      )}
      {events && events.length === 0 && !problem && <p className="empty">No event matches. Widen the time range or clear a filter; new events appear here as they happen.</p>}
      {events && events.length > 0 && (
        <EventTable
          label="Activity events"
          events={events}
          under={(e) => (
            <>
              {typeof e.details?.sha256 === 'string' && (
                <div className="muted">
                  file sha256 <code className="hash">{e.details.sha256}</code>
                </div>
              )}
              {e.action === 'export' && e.outcome === 'allowed' && <ExportFile events={events} exportId={e.eventId} />}
            </>
          )}
          what={(e) => (
            <>
              {e.resourceType}
              {e.resourceIds.length > 0 && (
                <div className="muted ids">
                  {e.resourceIds.slice(0, 3).join(', ')}
                  {e.resourceIds.length > 3 && ` and ${e.resourceIds.length - 3} more`}
                </div>
              )}
            </>
          )}
        />
      )}
    </>
  );
}

/** An export's file hash, from its export.completed event when the timeline holds it. */
function ExportFile({ events, exportId }: { events: AuditEvent[]; exportId: string }) {
  const end = events.find((x) => (x.action === 'export.completed' || x.action === 'export.aborted') && x.details?.exportEventId === exportId);
  if (!end) return <div className="muted">file: no end recorded in this view</div>;
  if (end.action === 'export.aborted') return <div className="muted">file: cut short</div>;
  return (
    <div className="muted">
      file sha256 <code className="hash">{String(end.details?.sha256 ?? '')}</code>
    </div>
  );
}
