import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords, type ModelView, type Page, type Principal, type RecordJson } from '../api.js';
import { FieldValue, stateOf } from './fields.js';
import { Problem, TableWrap } from './ui.js';

interface Preview {
  visible: boolean;
  object: RecordJson | null;
  fields: Record<string, { decision: 'clear' | 'masked' | 'withheld'; rule: string | null; mask?: string }>;
}

/** The roles of the policy in force, from GET /v1/policy; null when the viewer may not read it. */
export function usePolicyRoles(): string[] | null {
  const [roles, setRoles] = useState<string[] | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    api<{ roles: Record<string, unknown> }>('/v1/policy', { signal: abort.signal }).then(
      (p) => setRoles(Object.keys(p.roles).sort()),
      () => setRoles(null),
    );
    return () => abort.abort();
  }, []);
  return roles;
}

/** "View as": a record as another person or role would receive it, field by field with the rule that decided. */
export function ViewAs({ model }: { model: ModelView }) {
  const params = new URLSearchParams(window.location.search);
  const policyRoles = usePolicyRoles();
  const [sub, setSub] = useState('someone');
  const [roles, setRoles] = useState<string[]>([]);
  const [otherRoles, setOtherRoles] = useState('');
  const [resource, setResource] = useState(params.get('resource') ?? model.resources[0]?.name ?? '');
  const [id, setId] = useState(params.get('id') ?? '');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [asked, setAsked] = useState<{ sub: string; roles: string[]; resource: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { sub: useId(), roles: useId(), resource: useId(), id: useId(), person: useId() };
  // Someone the service has seen, with the roles of their latest call (when the viewer may list people).
  const [people, setPeople] = useState<Principal[]>([]);
  useEffect(() => {
    if (!model.you.may.listPeople) return;
    const abort = new AbortController();
    api<Page<Principal>>('/v1/principals?limit=100', { signal: abort.signal }).then(
      (p) => setPeople(p.items.filter((x) => x.roles && x.roles.length > 0)),
      () => setPeople([]),
    );
    return () => abort.abort();
  }, [model]);
  const pickPerson = (who: string) => {
    const person = people.find((p) => p.sub === who);
    if (!person) return;
    setSub(person.sub);
    setRoles((person.roles ?? []).filter((r) => !policyRoles || policyRoles.includes(r)));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const chosen = [...roles, ...otherRoles.split(',').map((r) => r.trim()).filter(Boolean)];
    if (chosen.length === 0) return setProblem('Pick at least one role to view the record as.');
    if (!id.trim()) return setProblem('Give the id of the record to view (open it in Records, then “View as someone else”).');
    setBusy(true);
    setProblem(null);
    setPreview(null);
    try {
      const principal = { sub: sub.trim() || 'someone', roles: chosen, claims: {} };
      setPreview(await api<Preview>('/v1/policy/preview', { method: 'POST', body: { principal, resource, id: id.trim() } }));
      setAsked({ sub: principal.sub, roles: chosen, resource });
    } catch (err) {
      setProblem(errorWords(err));
    }
    setBusy(false);
  };
  const toggle = (role: string) => setRoles(roles.includes(role) ? roles.filter((r) => r !== role) : [...roles, role]);
  const fields = model.resources.find((r) => r.name === asked?.resource)?.fields ?? [];

  return (
    <>
      <h1>View as</h1>
      <p className="muted">See a record as someone else would receive it, without their password: each field with the policy rule that decided it. The preview is recorded in the trail as yours.</p>
      <form onSubmit={(e) => void submit(e)} aria-label="Whom and what to view" className="view-as">
        {people.length > 0 && (
          <>
            <label htmlFor={ids.person}>Someone the service has seen (fills in their name and roles)</label>
            <select id={ids.person} defaultValue="" onChange={(e) => pickPerson(e.target.value)}>
              <option value="" disabled>
                choose a person…
              </option>
              {people.map((p) => (
                <option key={p.sub} value={p.sub}>
                  {p.sub} ({(p.roles ?? []).join(', ')})
                </option>
              ))}
            </select>
          </>
        )}
        <label htmlFor={ids.sub}>Person (subject)</label>
        <input id={ids.sub} value={sub} onChange={(e) => setSub(e.target.value)} maxLength={256} />
        <fieldset>
          <legend>Roles</legend>
          {policyRoles?.map((role) => (
            <label key={role} className="check">
              <input type="checkbox" checked={roles.includes(role)} onChange={() => toggle(role)} /> {role}
            </label>
          ))}
          {!policyRoles && (
            <>
              <label htmlFor={ids.roles}>Roles, separated by commas</label>
              <input id={ids.roles} value={otherRoles} onChange={(e) => setOtherRoles(e.target.value)} maxLength={400} />
            </>
          )}
        </fieldset>
        <label htmlFor={ids.resource}>Resource</label>
        <select id={ids.resource} value={resource} onChange={(e) => setResource(e.target.value)}>
          {model.resources.map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.id}>Record id</label>
        <input id={ids.id} value={id} onChange={(e) => setId(e.target.value)} maxLength={128} size={40} />
        <div>
          <button type="submit" disabled={busy}>
            {busy ? 'Previewing…' : 'View'}
          </button>
        </div>
      </form>
      <Problem problem={problem} />
      {!preview && !problem && !busy && <p className="empty">Pick one or more roles and a record, then “View”.</p>}
      {preview && asked && (
        <section aria-labelledby="preview-title">
          <h2 id="preview-title">
            {asked.resource} <code>{id}</code> as {asked.sub} ({asked.roles.join(', ')})
          </h2>
          {!preview.visible && <p className="empty">This record would not exist for them: their roles do not let them see it at all (the API answers 404). The rules below are what would apply if it did.</p>}
          <TableWrap label="The record as they would see it">
            <table className="preview">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">They see</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Rule that decided</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(preview.fields).map(([name, f]) => {
                  const field = fields.find((x) => x.name === name) ?? { name, type: 'string' as const, class: '', ref: null };
                  return (
                    <tr key={name} data-field={name} data-decision={f.decision}>
                      <th scope="row">{name}</th>
                      <td>{preview.object ? <FieldValue field={field} value={preview.object[name]} state={stateOf(preview.object._access, name)} /> : <span className="muted">not visible</span>}</td>
                      <td>
                        <span className={`badge ${f.decision === 'clear' ? 'ok' : f.decision}`}>{f.decision}</span>
                        {f.mask && <div className="muted">mask: {f.mask}</div>}
                      </td>
                      <td>{f.rule ? <code>{f.rule}</code> : <span className="muted">no rule grants it: withheld by default</span>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
        </section>
      )}
    </>
  );
}
