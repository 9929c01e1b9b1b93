import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords } from '../api.js';
import { DownloadButton } from './Privacy.js';
import { Problem, TableWrap } from './ui.js';

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

interface Review {
  policy: { version: string };
  window: { days: number; from: string; to: string };
  scanned: { events: number; truncated: boolean };
  people: Array<{ sub: string; roles: string[]; events: number; lastSeen: string; unused: string[]; exports: Record<string, number> }>;
  notSeen: { people: Array<{ sub: string; lastSeen: string; roles: string[] }>; truncated: boolean };
  rolesNotSeen: string[];
  exportRights: Array<{ role: string; resource: string; holders: number; exports: number; unused: boolean }>;
  suggestions: Array<{ role: string; holders: number; fields: unknown[]; edit: string; alsoAffects: string[]; problem?: string }>;
  limits: string[];
}

interface Attestation {
  eventId: string;
  seq: string;
  occurredAt: string;
  reviewer: string;
  scope: { days: number; roles?: string[]; people?: string[] };
  note: string;
}

/** "Who holds which rights, and who uses them?": the access review and the reviewer's sign-off. */
export function AccessReview() {
  const ids = { days: useId() };
  const [days, setDays] = useState(90);
  const [review, setReview] = useState<Review | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = (n: number) => {
    setBusy(true);
    setProblem(null);
    api<Review>(`/v1/access-review?days=${n}`)
      .then(setReview, (err) => setProblem(errorWords(err)))
      .finally(() => setBusy(false));
  };
  useEffect(() => load(90), []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    load(days);
  };

  return (
    <div className="access-review">
      <h1>Access review</h1>
      <p className="hint">Rights each person holds against what they used, from the audit trail; then sign the review off. Narrow what nobody uses.</p>
      <form onSubmit={submit} className="search">
        <label htmlFor={ids.days}>Days to look back</label>
        <input id={ids.days} type="number" min={1} max={365} value={days} onChange={(e) => setDays(Number(e.target.value))} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Reading the trail…' : 'Review'}
        </button>
        <DownloadButton path={`/v1/access-review?days=${days}&format=csv`} accept="text/csv" name={`access-review-${days}d.csv`}>
          Download (.csv)
        </DownloadButton>
      </form>
      <Problem problem={problem} />
      {busy && !review && <p aria-live="polite">Reading the audit trail…</p>}
      {review && (
        <>
          <p className="muted">
            {review.window.days} days, {when(review.window.from)} to {when(review.window.to)}; {review.scanned.events}
            {review.scanned.truncated ? '+' : ''} events read; policy {review.policy.version}.
          </p>
          <section aria-labelledby="review-people">
            <h2 id="review-people">People seen ({review.people.length})</h2>
            {review.people.length === 0 ? (
              <p className="empty">Nobody used the service in this window. Widen the window, or come back once people have worked.</p>
            ) : (
              <TableWrap label="People seen in the window">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Person</th>
                      <th scope="col">Roles</th>
                      <th scope="col">Events</th>
                      <th scope="col">Last seen</th>
                      <th scope="col">Rights never used</th>
                    </tr>
                  </thead>
                  <tbody>
                    {review.people.map((p) => (
                      <tr key={p.sub} data-sub={p.sub}>
                        <th scope="row">{p.sub}</th>
                        <td>{p.roles.join(', ')}</td>
                        <td>{p.events}</td>
                        <td>{when(p.lastSeen)}</td>
                        <td>
                          {p.unused.length === 0 ? '—' : p.unused.length > 8 ? `${p.unused.slice(0, 8).join(', ')} and ${p.unused.length - 8} more` : p.unused.join(', ')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </section>
          {review.notSeen.people.length > 0 && (
            <section aria-labelledby="review-not-seen">
              <h2 id="review-not-seen">Seen before, not in this window</h2>
              <p className="hint">Leavers? Disable them on the People page.</p>
              <ul>
                {review.notSeen.people.map((p) => (
                  <li key={p.sub}>
                    {p.sub} ({p.roles.join(', ')}), last seen {when(p.lastSeen)}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="review-suggestions">
            <h2 id="review-suggestions">Suggestions</h2>
            {review.suggestions.length === 0 && review.exportRights.every((e) => !e.unused) ? (
              <p className="empty">Nothing to narrow: every role’s holders used what it grants.</p>
            ) : (
              <ul className="suggestions">
                {review.exportRights
                  .filter((e) => e.unused)
                  .map((e) => (
                    <li key={`${e.role}/${e.resource}`}>
                      Role <strong>{e.role}</strong> may export {e.resource}; none of its {e.holders} holders did.
                    </li>
                  ))}
                {review.suggestions.map((s) => (
                  <li key={s.role}>
                    Role <strong>{s.role}</strong>: {s.fields.length} field(s) none of its {s.holders} holders read.
                    {s.problem ? (
                      <span className="muted"> {s.problem}</span>
                    ) : (
                      <details>
                        <summary>The policy edit</summary>
                        <pre className="edit">{s.edit}</pre>
                      </details>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <AttestForm days={review.window.days} />
        </>
      )}
    </div>
  );
}

function AttestForm({ days }: { days: number }) {
  const ids = { note: useId(), roles: useId() };
  const [note, setNote] = useState('');
  const [roles, setRoles] = useState('');
  const [done, setDone] = useState<Attestation | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const list = roles
      .split(/[\s,]+/)
      .map((r) => r.trim())
      .filter(Boolean);
    setBusy(true);
    try {
      setDone(await api<Attestation>('/v1/access-review/attestations', { method: 'POST', body: { scope: { days, ...(list.length ? { roles: list } : {}) }, note: note.trim() } }));
    } catch (err) {
      setProblem(errorWords(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="attest-heading" className="card">
      <h2 id="attest-heading">Sign the review off</h2>
      {done ? (
        <p role="status" className="ok" data-attestation={done.eventId}>
          Attested by {done.reviewer} on {when(done.occurredAt)} for {done.scope.days} days{done.scope.roles ? ` (roles ${done.scope.roles.join(', ')})` : ''}. Kept in the audit
          trail as event <code>{done.eventId}</code>, position <strong>{done.seq}</strong>.
        </p>
      ) : (
        <form onSubmit={submit}>
          <p className="hint">Your sign-off is kept in the audit trail, where nobody can edit it. Write what you decided, not anyone’s personal data.</p>
          <label htmlFor={ids.roles}>Roles reviewed (optional, separated by commas; all when empty)</label>
          <input id={ids.roles} value={roles} onChange={(e) => setRoles(e.target.value)} maxLength={500} />
          <label htmlFor={ids.note}>Note</label>
          <textarea id={ids.note} value={note} onChange={(e) => setNote(e.target.value)} required maxLength={2000} rows={3} />
          <button type="submit" disabled={busy}>
            {busy ? 'Recording…' : 'Attest'}
          </button>
        </form>
      )}
      <Problem problem={problem} />
    </section>
  );
}
