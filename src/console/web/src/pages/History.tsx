import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords, type ModelView } from '../api.js';
import { Link } from '../App.js';
import { BASE } from '../router.js';
import { EventTable, FieldLists, flaggedSummary } from './events.js';
import { Problem, TableWrap } from './ui.js';
import { exportEnds, exportIdOf, nameRecords, NAME_BATCH, readTrail, type ExportEnd, type RecordName, type TrailEvent } from './trail.js';

/** Pages of the feed read for one record's history: 1000 events at most. */
const RECORD_PAGES = 10;

export const recordHistoryPath = (type: string, id: string) => `${BASE}/history/record/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

/** A record's name as the viewer may see it, never mistaken for data when it is not. */
export function NameOf({ name }: { name: RecordName | undefined }) {
  if (!name) return <span className="muted">…</span>;
  if (name.state === 'hidden') return <span className="muted">not visible to you</span>;
  if (name.state === 'none') return <span className="muted">no name field</span>;
  return (
    <span className={`value ${name.state}`}>
      {name.text}
      {name.state === 'masked' && (
        <span className="badge masked" title="Masked by policy: this is not the real value">
          masked
        </span>
      )}
    </span>
  );
}

export function FileHash({ end }: { end: ExportEnd | undefined }) {
  if (!end) return <span className="muted">no end recorded (yet)</span>;
  return (
    <span>
      {end.status === 'completed' ? 'completed' : 'cut short'}
      {end.rows !== null && `, ${end.rows} row${end.rows === 1 ? '' : 's'}`}
      {end.sha256 && (
        <div>
          sha256 <code className="hash">{end.sha256}</code>
        </div>
      )}
    </span>
  );
}

/** "Who saw this": every event of the trail naming one record, newest first. */
export function RecordHistory({ model, type, id }: { model: ModelView; type: string; id: string }) {
  const [events, setEvents] = useState<TrailEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const [ends, setEnds] = useState<Map<string, ExportEnd>>(new Map());
  const [name, setName] = useState<RecordName | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const resource = model.resources.find((r) => r.name === type);

  useEffect(() => {
    const abort = new AbortController();
    setEvents(null);
    setProblem(null);
    const run = async () => {
      const read = await readTrail({ resourceId: id }, RECORD_PAGES, abort.signal);
      const mine = read.events;
      setEvents(mine.reverse());
      setMore(read.more);
      const exports = mine.filter((e) => exportIdOf(e) !== null);
      if (exports.length > 0) setEnds(await exportEnds(exports, abort.signal));
    };
    run().catch((err) => {
      if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
    });
    nameRecords(model, type, [id], abort.signal).then(
      (names) => setName(names.get(id)),
      () => undefined,
    );
    return () => abort.abort();
  }, [model, type, id]);

  const people = events ? new Set(events.map((e) => e.actor.sub).filter(Boolean)).size : 0;
  return (
    <>
      {resource && (
        <p>
          <Link to={`${BASE}/records/${resource.plural}/${encodeURIComponent(id)}`}>← Back to the record</Link>
        </p>
      )}
      <h1>Who saw this</h1>
      <p>
        {type} <code>{id}</code>: <NameOf name={name} />
      </p>
      <Problem problem={problem} />
      {!events && !problem && <p aria-live="polite">Reading the audit trail for this record…</p>}
      {events && (
        <p className="muted" aria-live="polite">
          {events.length} event{events.length === 1 ? '' : 's'} by {people} {people === 1 ? 'person' : 'people'}, newest first
          {more ? `; the trail holds more than ${RECORD_PAGES * 100}: only the oldest ${RECORD_PAGES * 100} are shown, use Activity with a time range for the rest` : ''}. {flaggedSummary(events)}
        </p>
      )}
      {events && events.length === 0 && !problem && (
        <p className="empty">Nobody has read, listed, exported or changed this record since the audit trail began. Every access to it appears here as it happens.</p>
      )}
      {events && events.length > 0 && (
        <EventTable
          label="Audit events naming this record"
          className="history"
          events={events}
          channel
          under={(e) => (
            <>
              {e.resourceIds.length > 1 && <div className="muted">with {e.resourceIds.length - 1} other record{e.resourceIds.length === 2 ? '' : 's'}</div>}
              {exportIdOf(e) !== null && (
                <div className="export-file">
                  <FileHash end={ends.get(exportIdOf(e)!)} />
                </div>
              )}
            </>
          )}
        />
      )}
    </>
  );
}

interface Report {
  actor: string;
  from: string | null;
  to: string;
  customers: { count: number; ids: string[] };
  fields: Record<string, { clear: number; masked: number }>;
  exports: Array<{ eventId: string; occurredAt: string; channel: string; format: string | null; status: 'completed' | 'aborted' | 'unfinished'; rows: number; bytes: number | null; sha256: string | null; fieldsClear: string[]; fieldsMasked: string[] }>;
  denials: number;
  anomalies: Array<{ eventId: string; occurredAt: string; action: string; outcome: string; details: Record<string, unknown> | null }>;
  actions: Array<{ action: string; outcome: string; count: number }>;
}

const dayInput = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A person's history: the per-person report, with the customers they read named where the viewer may see them. */
export function PersonHistory({ model, sub }: { model: ModelView; sub: string }) {
  const [draft, setDraft] = useState({ from: dayInput(Date.now() - 30 * 86_400_000), to: dayInput(Date.now()) });
  const [period, setPeriod] = useState(draft);
  const [report, setReport] = useState<Report | null>(null);
  const [names, setNames] = useState<Map<string, RecordName>>(new Map());
  const [naming, setNaming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { from: useId(), to: useId() };

  useEffect(() => {
    const abort = new AbortController();
    setReport(null);
    setProblem(null);
    setNames(new Map());
    const q = new URLSearchParams({ actor: sub, ...(period.from ? { from: period.from } : {}), ...(period.to ? { to: period.to } : {}) });
    api<Report>(`/v1/audit/report?${q}`, { signal: abort.signal })
      .then(async (r) => {
        setReport(r);
        setNaming(true);
        setNames(await nameRecords(model, 'Customer', r.customers.ids.slice(0, NAME_BATCH), abort.signal));
        setNaming(false);
      })
      .catch((err) => {
        if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
        setNaming(false);
      });
    return () => abort.abort();
  }, [model, sub, period]);

  const nameMore = async () => {
    if (!report) return;
    setNaming(true);
    try {
      const next = report.customers.ids.filter((id) => !names.has(id)).slice(0, NAME_BATCH);
      const found = await nameRecords(model, 'Customer', next);
      setNames(new Map([...names, ...found]));
    } catch (err) {
      setProblem(errorWords(err));
    }
    setNaming(false);
  };
  const customers = model.resources.find((r) => r.name === 'Customer');
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setPeriod({ ...draft });
  };

  return (
    <>
      <h1>History of {sub}</h1>
      <form className="filters" onSubmit={apply} aria-label="Period of the history">
        <div>
          <label htmlFor={ids.from}>From (day)</label>
          <input id={ids.from} type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </div>
        <div>
          <label htmlFor={ids.to}>To (day)</label>
          <input id={ids.to} type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </div>
        <div>
          <button type="submit">Show</button>
        </div>
      </form>
      <Problem problem={problem} />
      {!report && !problem && <p aria-live="polite">Building {sub}’s report from the audit trail…</p>}
      {report && (
        <>
          <p className="muted">
            From {report.from ? new Date(report.from).toLocaleString() : 'the first event'} to {new Date(report.to).toLocaleString()}: {report.customers.count} customer
            {report.customers.count === 1 ? '' : 's'} shown, {report.exports.length} export{report.exports.length === 1 ? '' : 's'}, {report.denials} refusal
            {report.denials === 1 ? '' : 's'}, {report.anomalies.length} anomal{report.anomalies.length === 1 ? 'y' : 'ies'}. This report is itself recorded in the trail.
          </p>
          {report.actions.length === 0 && <p className="empty">{sub} did nothing the trail recorded in this period. Widen the period, or check the spelling of the name.</p>}

          {report.anomalies.length > 0 && (
            <section aria-labelledby="anomalies">
              <h2 id="anomalies">Anomalies</h2>
              <ul className="flag-list">
                {report.anomalies.map((a) => (
                  <li key={a.eventId} className="flagged">
                    <code>{a.action}</code> at {new Date(a.occurredAt).toLocaleString()}
                    {typeof a.details?.count === 'number' && typeof a.details?.budget === 'number' && `: ${a.details.count} records within ${String(a.details.window ?? '')}, over a budget of ${a.details.budget}`}
                  </li>
                ))}
              </ul>
            </section>
          )}

          {report.customers.count > 0 && (
            <section aria-labelledby="customers-read">
              <h2 id="customers-read">Customers they were shown</h2>
              <p className="muted" aria-live="polite">
                {naming ? 'Reading the names you may see…' : `Names are read as you see them (masked stays masked); ${names.size} of ${report.customers.count} named.`}
              </p>
              <TableWrap label="Customers they were shown">
                <table className="customers-read">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Record</th>
                      <th scope="col">
                        <span className="visually-hidden">Who saw this record</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.customers.ids.map((id) => (
                      <tr key={id} data-id={id}>
                        <td>{names.has(id) ? <NameOf name={names.get(id)} /> : <span className="muted">not read yet</span>}</td>
                        <td>
                          {customers && names.get(id)?.state !== 'hidden' ? <Link to={`${BASE}/records/${customers.plural}/${encodeURIComponent(id)}`}>{id}</Link> : <code>{id}</code>}
                        </td>
                        <td>
                          <Link to={recordHistoryPath('Customer', id)}>Who saw this</Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              {report.customers.ids.some((id) => !names.has(id)) && (
                <button type="button" disabled={naming} onClick={() => void nameMore()}>
                  Name the next {NAME_BATCH}
                </button>
              )}
            </section>
          )}

          {Object.keys(report.fields).length > 0 && (
            <section aria-labelledby="fields-used">
              <h2 id="fields-used">Fields they were shown</h2>
              <TableWrap label="Fields they were shown">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Field</th>
                      <th scope="col">Times in clear</th>
                      <th scope="col">Times masked</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(report.fields).map(([field, n]) => (
                      <tr key={field}>
                        <td>{field}</td>
                        <td>{n.clear}</td>
                        <td>{n.masked}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </section>
          )}

          {report.exports.length > 0 && (
            <section aria-labelledby="exports">
              <h2 id="exports">Exports</h2>
              <TableWrap label="Exports">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Format</th>
                      <th scope="col">Rows</th>
                      <th scope="col">File</th>
                      <th scope="col">Fields</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.exports.map((x) => (
                      <tr key={x.eventId}>
                        <td>{new Date(x.occurredAt).toLocaleString()}</td>
                        <td>
                          {x.format ?? '?'} <span className="muted">({x.channel})</span>
                        </td>
                        <td>{x.rows}</td>
                        <td>
                          {x.status}
                          {x.sha256 && (
                            <div>
                              sha256 <code className="hash">{x.sha256}</code>
                            </div>
                          )}
                        </td>
                        <td className="fields">
                          <FieldLists fields={{ clear: x.fieldsClear, masked: x.fieldsMasked, withheld: [], written: [] }} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </section>
          )}

          {report.actions.length > 0 && (
            <section aria-labelledby="actions">
              <h2 id="actions">What they did</h2>
              <ul>
                {report.actions.map((a) => (
                  <li key={`${a.action}/${a.outcome}`}>
                    <code>{a.action}</code> {a.outcome}: {a.count}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </>
  );
}
