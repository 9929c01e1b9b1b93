import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords, type AccessRequest, type ModelView, type Page, type Principal } from '../api.js';
import { Pager, Problem, TableWrap, useCursorPages } from './ui.js';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Who has used the service, disabling and enabling them, and the access requests to decide. */
export function People({ model }: { model: ModelView }) {
  return (
    <>
      <h1>People</h1>
      <Requests />
      <Principals manage={model.you.may.managePeople} self={model.you.sub} />
    </>
  );
}

function Principals({ manage, self }: { manage: boolean; self: string }) {
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<Principal> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [changing, setChanging] = useState<string | null>(null);
  const { cursor } = pages;

  const load = useCallback(() => {
    const query = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
    api<Page<Principal>>(`/v1/principals?${query}`).then(setPage, (err) => setProblem(errorWords(err)));
  }, [cursor]);
  useEffect(load, [load]);

  return (
    <section aria-labelledby="people-heading">
      <h2 id="people-heading">Everyone the service has seen</h2>
      <Problem problem={problem} />
      {!page && !problem && <p aria-live="polite">Loading…</p>}
      {page && page.items.length === 0 && <p className="empty">Nobody has called the service yet. People appear here after their first request.</p>}
      {page && page.items.length > 0 && (
        <TableWrap label="Everyone the service has seen">
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Roles</th>
                <th scope="col">Last seen</th>
                <th scope="col">Status</th>
                {manage && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <tr key={p.sub} data-sub={p.sub}>
                  <th scope="row">{p.sub}</th>
                  <td>{p.roles?.join(', ') ?? '—'}</td>
                  <td>{when(p.lastSeen)}</td>
                  <td>
                    {p.disabled ? <span className="badge withheld">disabled</span> : <span className="badge ok">active</span>}
                    {p.status?.reason && <div className="muted">{p.status.reason}</div>}
                  </td>
                  {manage && (
                    <td>
                      {changing === p.sub ? (
                        <StatusForm
                          principal={p}
                          onDone={() => {
                            setChanging(null);
                            load();
                          }}
                        />
                      ) : (
                        <button type="button" onClick={() => setChanging(p.sub)} disabled={!p.disabled && p.sub === self} title={p.sub === self ? 'Ask another administrator' : undefined}>
                          {p.disabled ? 'Enable…' : 'Disable…'}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager pages={pages} nextCursor={page?.nextCursor} />
    </section>
  );
}

function StatusForm({ principal, onDone }: { principal: Principal; onDone: () => void }) {
  const verb = principal.disabled ? 'enable' : 'disable';
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const trimmed = reason.trim();
      await api(`/v1/principals/${encodeURIComponent(principal.sub)}/${verb}`, { method: 'POST', body: trimmed || verb === 'disable' ? { reason: trimmed } : {} });
      onDone();
    } catch (err) {
      setProblem(errorWords(err));
    }
  };
  return (
    <form onSubmit={submit} className="inline">
      <label htmlFor={id}>Reason to {verb} {principal.sub}</label>
      <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} required={verb === 'disable'} maxLength={500} autoFocus />
      <button type="submit">{verb === 'disable' ? 'Disable' : 'Enable'}</button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      <Problem problem={problem} />
    </form>
  );
}

function Requests() {
  const [items, setItems] = useState<AccessRequest[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ items: AccessRequest[] }>('/v1/access-requests').then(
      (r) => setItems(r.items.filter((i) => i.status === 'pending' || i.status === 'approved')),
      (err) => setProblem(errorWords(err)),
    );
  }, []);
  useEffect(load, [load]);

  return (
    <section aria-labelledby="requests-heading">
      <h2 id="requests-heading">Access requests</h2>
      <Problem problem={problem} />
      {!items && !problem && <p aria-live="polite">Loading…</p>}
      {items && items.length === 0 && <p className="empty">No request waits for you. When a colleague asks to see a masked field, the request appears here to approve or deny.</p>}
      {items && items.length > 0 && (
        <ul className="requests">
          {items.map((r) => (
            <RequestItem key={r.id} request={r} onDone={load} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RequestItem({ request, onDone }: { request: AccessRequest; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const decide = async (verb: 'approve' | 'deny' | 'revoke') => {
    setProblem(null);
    try {
      await api(`/v1/access-requests/${encodeURIComponent(request.id)}/${verb}`, { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
      onDone();
    } catch (err) {
      setProblem(errorWords(err));
    }
  };
  return (
    <li className="request" data-request={request.id}>
      <p>
        <strong>{request.requester}</strong> asks to see <strong>{request.fields.join(', ')}</strong> of {request.resource} <code>{request.recordId}</code> for {request.minutes} minutes
        {request.breakGlass && <span className="badge withheld">break-glass</span>}
      </p>
      <p className="reason">Reason: {request.reason}</p>
      <p className="muted">
        {request.status === 'pending' ? `Asked ${when(request.createdAt)}` : `Approved by ${request.decidedBy ?? '—'}, until ${when(request.expiresAt)}`}
      </p>
      <label htmlFor={id}>Note (optional)</label>
      <input id={id} value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} />
      <div className="actions">
        {request.status === 'pending' ? (
          <>
            <button type="button" onClick={() => decide('approve')}>
              Approve
            </button>
            <button type="button" onClick={() => decide('deny')}>
              Deny
            </button>
          </>
        ) : (
          <button type="button" onClick={() => decide('revoke')}>
            Revoke
          </button>
        )}
      </div>
      <Problem problem={problem} />
    </li>
  );
}
