import { useEffect, useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { api, errorWords, type ModelView } from '../api.js';

interface Grant {
  decision: 'clear' | 'masked' | 'denied';
  when: Record<string, unknown> | null;
  rule: string;
}
interface Overview {
  version: string;
  loadedAt: string;
  roles: Record<string, { fields: Record<string, Record<string, Grant[]>>; actions: Record<string, string[]> }>;
}

interface Change {
  roles: string;
  resource: string;
  field: string | null;
  change: string;
  reads: number;
  records: number;
}
/** One effect of the edit on a role, decided on representative records (the policy diff). */
interface DiffLine {
  role: string;
  subject: string;
  change: string;
  when: string[] | null;
  text: string;
}
interface Replay {
  policy: { inForce: string; candidate: string };
  diff: DiffLine[];
  window: { days: number; from: string; to: string };
  scanned: { events: number; truncated: boolean; replayedUntil: string | null };
  totals: { reads: number; unchanged: number; changed: number; recordGone: number; undecided: number };
  changes: Change[];
  losses: Array<{ sub: string; resource: string; field: string; change: string; reads: number; records: number }>;
  unknown: Array<{ roles: string; resource: string; field: string | null; reason: string; reads: number; records: number }>;
  limits: string[];
}

/** The candidate's diff: what each role gains or loses, on any record, read or not. */
function EditEffects({ diff }: { diff: DiffLine[] }) {
  return (
    <>
      <h3>What the edit changes for each role</h3>
      {diff.length === 0 ? (
        <p className="empty">No role sees or may do anything different under the candidate.</p>
      ) : (
        <div className="table-wrap">
          <table className="diff">
            <caption>The candidate against the policy in force, decided on representative records</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">What</th>
                <th scope="col">Change</th>
                <th scope="col">On which records</th>
              </tr>
            </thead>
            <tbody>
              {diff.map((d, i) => (
                <tr key={i} data-role={d.role} data-subject={d.subject}>
                  <td>{d.role || '(the policy)'}</td>
                  <td>{d.subject}</td>
                  <td>{d.change}</td>
                  <td>{d.when === null ? 'all records' : d.when.length === 0 ? 'no records' : `where ${d.when.join(', or ')}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Bounded in the page too: a policy file is a few kilobytes. */
const MAX_CANDIDATE = 512 * 1024;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One cell of the matrix: the grants that can apply, strongest first, in words. */
function Cell({ grants, showRules }: { grants: Grant[]; showRules: boolean }) {
  const unconditional = grants.findIndex((g) => g.when === null);
  const applying = unconditional === -1 ? grants : grants.slice(0, unconditional + 1);
  // One line per decision and kind (always / on some records): the rules are in the tooltip.
  const shown = applying.filter((g, i) => applying.findIndex((h) => h.decision === g.decision && (h.when === null) === (g.when === null)) === i);
  const rulesOf = (g: Grant) =>
    applying
      .filter((h) => h.decision === g.decision && (h.when === null) === (g.when === null))
      .map((h) => `${h.rule}${h.when ? ` when ${JSON.stringify(h.when)}` : ''}`)
      .join('; ');
  const final = unconditional === -1 ? 'withheld' : null;
  const word = (d: Grant['decision']) => (d === 'denied' ? 'withheld' : d);
  const main = shown[0] ? word(shown[0].decision) : 'withheld';
  return (
    <td data-decision={main} className={`cell ${main}`}>
      {shown.length === 0 && <span className="badge withheld">withheld</span>}
      {shown.map((g, i) => (
        <div key={i} title={rulesOf(g)}>
          <span className={`badge ${g.decision === 'clear' ? 'ok' : word(g.decision)}`}>{word(g.decision)}</span>
          {g.when && <span className="muted"> on some records</span>}
          {showRules && <div className="rules">{rulesOf(g)}</div>}
        </div>
      ))}
      {final && shown.length > 0 && <div className="muted">otherwise withheld</div>}
    </td>
  );
}

/** The policy in force as a role x field matrix per resource, and a candidate's replay. */
export function PolicyPage({ model }: { model: ModelView }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [type, setType] = useState('');
  const [showRules, setShowRules] = useState(false);
  const ids = { type: useId() };

  useEffect(() => {
    const abort = new AbortController();
    api<Overview>('/v1/policy', { signal: abort.signal }).then(
      (o) => {
        setOverview(o);
        const first = Object.values(o.roles)[0];
        const types = first ? Object.keys(first.fields) : [];
        setType((t) => t || (types.includes('Customer') ? 'Customer' : types[0] ?? ''));
      },
      (err) => {
        if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
      },
    );
    return () => abort.abort();
  }, []);

  const roles = overview ? Object.keys(overview.roles).sort() : [];
  const types = overview && roles[0] ? Object.keys(overview.roles[roles[0]]!.fields) : [];
  const fields = overview && roles[0] && type ? Object.keys(overview.roles[roles[0]]!.fields[type] ?? {}) : [];

  return (
    <>
      <h1>Policy</h1>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {!overview && !problem && <p aria-live="polite">Loading the policy in force…</p>}
      {overview && (
        <>
          <p>
            In force: <code className="version">{overview.version}</code>, loaded {new Date(overview.loadedAt).toLocaleString()}.
          </p>
          <label htmlFor={ids.type}>Resource</label>
          <select id={ids.type} value={type} onChange={(e) => setType(e.target.value)}>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" checked={showRules} onChange={(e) => setShowRules(e.target.checked)} /> Show the rules and their conditions in each cell
          </label>
          <div className="table-wrap">
            <table className="matrix">
              <caption>
                What each role sees of a {type}: clear, masked or withheld, per field; “on some records” when a condition decides.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  {roles.map((r) => (
                    <th key={r} scope="col">
                      {r}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {fields.map((f) => (
                  <tr key={f} data-field={f}>
                    <th scope="row">{f}</th>
                    {roles.map((r) => (
                      <Cell key={r} grants={overview.roles[r]!.fields[type]?.[f] ?? []} showRules={showRules} />
                    ))}
                  </tr>
                ))}
                <tr className="rights" data-field="(rights)">
                  <th scope="row">rights</th>
                  {roles.map((r) => (
                    <td key={r}>{overview.roles[r]!.actions[type]?.join(', ') || <span className="muted">none</span>}</td>
                  ))}
                </tr>
              </tbody>
            </table>
          </div>
          {fields.length === 0 && <p className="empty">{type} has no fields of its own: only the rights row applies.</p>}
        </>
      )}
      {model.you.may.replayPolicy ? <ReplayForm /> : <p className="muted">Replaying a candidate policy needs the right to reload the policy (admins in the default policy).</p>}
    </>
  );
}

function ReplayForm() {
  const [text, setText] = useState('');
  const [days, setDays] = useState('7');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Replay | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { text: useId(), file: useId(), days: useId() };

  const load = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_CANDIDATE) return setProblem('That file is too large for a policy (over 512 KB).');
    setText(await file.text());
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return setProblem('Paste the candidate policy (YAML) or choose its file first.');
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      setResult(await api<Replay>(`/v1/policy/replay?days=${encodeURIComponent(days)}`, { method: 'POST', text: { body: text, type: 'application/yaml' } }));
    } catch (err) {
      setProblem(errorWords(err));
    }
    setBusy(false);
  };

  return (
    <section aria-labelledby="replay-title">
      <h2 id="replay-title">Replay a candidate</h2>
      <p className="muted">
        What would an edited policy have changed for the people who worked recently? The reads the trail recorded are decided again under the candidate, on the records as they are now. Nothing
        changes; the replay is recorded in the trail.
      </p>
      <form onSubmit={(e) => void submit(e)} aria-label="Replay a candidate policy">
        <label htmlFor={ids.text}>Candidate policy (YAML)</label>
        <textarea id={ids.text} value={text} onChange={(e) => setText(e.target.value)} rows={10} cols={80} maxLength={MAX_CANDIDATE} spellCheck={false} className="yaml" />
        <label htmlFor={ids.file}>Or choose its file</label>
        <input id={ids.file} type="file" accept=".yaml,.yml,application/yaml,text/yaml" onChange={(e) => void load(e)} />
        <label htmlFor={ids.days}>Days of reads to replay (1 to 90)</label>
        <input id={ids.days} type="number" min={1} max={90} value={days} onChange={(e) => setDays(e.target.value)} />
        <div>
          <button type="submit" disabled={busy}>
            {busy ? 'Replaying…' : 'Replay'}
          </button>
        </div>
      </form>
      {busy && (
        <p aria-live="polite" className="progress">
          Replaying the last {days} days of reads under the candidate: this reads the trail in batches and can take a while.
        </p>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {result && (
        <div className="replay" aria-live="polite">
          <p className="replay-summary">
            {plural(result.totals.changed, 'read')} would change, {result.totals.unchanged} unchanged, {result.totals.recordGone} unknown (record gone), {result.totals.undecided} undecided (token claims):{' '}
            {plural(result.scanned.events, 'event')} over {result.window.days} days
            {result.scanned.truncated ? `, cut short at ${result.scanned.replayedUntil ?? 'the cap'}` : ''}. Candidate <code>{result.policy.candidate}</code> against <code>{result.policy.inForce}</code>.
          </p>
          <EditEffects diff={result.diff} />
          <h3>What it would have changed for the reads of the window</h3>
          {result.changes.length === 0 ? (
            <p className="empty">The candidate changes nothing anyone read in this window.</p>
          ) : (
            <div className="table-wrap">
              <table className="changes">
                <caption>Changes per role and field</caption>
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Field</th>
                    <th scope="col">Change</th>
                    <th scope="col">Reads</th>
                    <th scope="col">Records</th>
                  </tr>
                </thead>
                <tbody>
                  {result.changes.map((c, i) => (
                    <tr key={i} data-role={c.roles} data-field={`${c.resource}.${c.field ?? '(record)'}`}>
                      <td>{c.roles}</td>
                      <td>
                        {c.resource}.{c.field ?? '(the record itself)'}
                      </td>
                      <td>{c.change}</td>
                      <td>{c.reads}</td>
                      <td>{c.records}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.losses.length > 0 && (
            <div className="table-wrap">
              <table>
                <caption>People who would lose a field they read</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Field</th>
                    <th scope="col">Change</th>
                    <th scope="col">Reads</th>
                    <th scope="col">Records</th>
                  </tr>
                </thead>
                <tbody>
                  {result.losses.map((l, i) => (
                    <tr key={i}>
                      <td>{l.sub}</td>
                      <td>
                        {l.resource}.{l.field}
                      </td>
                      <td>{l.change}</td>
                      <td>{l.reads}</td>
                      <td>{l.records}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.limits.length > 0 && (
            <>
              <h3>What a replay cannot know</h3>
              <ul>
                {result.limits.map((l, i) => (
                  <li key={i}>{l}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}
