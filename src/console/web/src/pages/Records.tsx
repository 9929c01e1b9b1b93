import { useEffect, useState } from 'react';
import { api, errorWords, type ModelResource, type ModelView, type Page, type RecordJson } from '../api.js';
import { Link } from '../App.js';
import { BASE } from '../router.js';
import { FieldValue, stateOf } from './fields.js';
import { recordHistoryPath } from './History.js';
import { Pager, Problem, TableWrap, useCursorPages } from './ui.js';

const PAGE_SIZE = 25;
/** Columns in the list; the record view shows every field. */
const LIST_COLUMNS = 6;

/** Browse any stored resource of the model, exactly as the signed-in person receives it. */
export function Records({ model, rest }: { model: ModelView; rest: string[] }) {
  const [plural, id] = rest;
  const resource = model.resources.find((r) => r.plural === plural) ?? (plural ? undefined : model.resources[0]);
  if (model.resources.length === 0) return <p className="empty">The policy in force declares no stored resources, so there are no records to browse.</p>;
  return (
    <div className="records">
      <nav aria-label="Resources" className="resources">
        <h1 className="visually-hidden">Records</h1>
        <ul>
          {model.resources.map((r) => (
            <li key={r.name}>
              <Link to={`${BASE}/records/${r.plural}`} current={r === resource}>
                {r.name}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section className="pane">
        {!resource ? (
          <p className="empty">There is no resource called “{plural}” in the policy in force. Pick one from the list.</p>
        ) : id ? (
          <RecordView resource={resource} id={id} model={model} />
        ) : !resource.listable ? (
          <p className="empty">
            {resource.plural} are listed under their {resource.parent ?? 'parent'}, not on their own: open a {resource.parent ?? 'parent'} record to reach them.
          </p>
        ) : (
          <RecordList key={resource.name} resource={resource} />
        )}
      </section>
    </div>
  );
}

function RecordList({ resource }: { resource: ModelResource }) {
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<RecordJson> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { cursor } = pages;
  const columns = resource.fields.filter((f) => f.type !== 'file').slice(0, LIST_COLUMNS);

  useEffect(() => {
    const abort = new AbortController();
    setProblem(null);
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) });
    api<Page<RecordJson>>(`/v1/${encodeURIComponent(resource.plural)}?${query}`, { signal: abort.signal }).then(setPage, (err) => {
      if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
    });
    return () => abort.abort();
  }, [resource, cursor]);

  return (
    <>
      <h2>{resource.plural}</h2>
      <Problem problem={problem} />
      {!page && !problem && <p aria-live="polite">Loading…</p>}
      {page && page.items.length === 0 && <p className="empty">No {resource.plural} you may see yet. Records appear here once they are created through the API.</p>}
      {page && page.items.length > 0 && (
        <TableWrap label={resource.plural}>
          <table>
            <caption className="visually-hidden">{resource.plural} as you see them</caption>
            <thead>
              <tr>
                {columns.map((f) => (
                  <th key={f.name} scope="col">
                    {f.name}
                  </th>
                ))}
                <th scope="col">
                  <span className="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((record, i) => {
                const id = String(record[resource.idField] ?? '');
                return (
                  <tr key={id || i}>
                    {columns.map((f) => (
                      <td key={f.name} data-field={f.name}>
                        <FieldValue field={f} value={record[f.name]} state={stateOf(record._access, f.name)} />
                      </td>
                    ))}
                    <td>{id && <Link to={`${BASE}/records/${resource.plural}/${encodeURIComponent(id)}`}>Open</Link>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager pages={pages} nextCursor={page?.nextCursor} />
    </>
  );
}

function RecordView({ resource, id, model }: { resource: ModelResource; id: string; model: ModelView }) {
  const [record, setRecord] = useState<RecordJson | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setRecord(null);
    setProblem(null);
    api<RecordJson>(`/v1/${encodeURIComponent(resource.plural)}/${encodeURIComponent(id)}`, { signal: abort.signal }).then(setRecord, (err) => {
      if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
    });
    return () => abort.abort();
  }, [resource, id]);

  return (
    <>
      <p>
        <Link to={`${BASE}/records/${resource.plural}`}>← All {resource.plural}</Link>
      </p>
      <h2>
        {resource.name} <code>{id}</code>
      </h2>
      {model.you.may.readActivity && (
        <p>
          <Link to={recordHistoryPath(resource.name, id)}>Who saw this</Link>
          {model.you.may.previewPolicy && (
            <>
              {' · '}
              <Link to={`${BASE}/view-as?resource=${encodeURIComponent(resource.name)}&id=${encodeURIComponent(id)}`}>View as someone else</Link>
            </>
          )}
        </p>
      )}
      <Problem problem={problem} />
      {!record && !problem && <p aria-live="polite">Loading…</p>}
      {record && (
        <dl className="record">
          {resource.fields.map((f) => {
            const state = stateOf(record._access, f.name);
            const target = f.type === 'ref' ? model.resources.find((r) => r.name === f.ref) : undefined;
            const link = target ? (text: string) => <Link to={`${BASE}/records/${target.plural}/${encodeURIComponent(text)}`}>{text}</Link> : undefined;
            return (
              <div key={f.name} className="row" data-field={f.name} data-state={state}>
                <dt>
                  {f.name} <span className="muted">{f.class}</span>
                </dt>
                <dd>
                  <FieldValue field={f} value={record[f.name]} state={state} {...(link ? { link } : {})} />
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </>
  );
}
