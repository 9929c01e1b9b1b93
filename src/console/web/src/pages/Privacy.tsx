import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, apiFile, ApiError, errorWords, type ModelResource, type ModelView, type Page, type RecordJson } from '../api.js';
import { FieldValue, stateOf } from './fields.js';

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

/** Hands a fetched file to the browser as a download, under its own name. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function Problem({ text }: { text: string | null }) {
  return text ? (
    <p role="alert" className="error">
      {text}
    </p>
  ) : null;
}

/** A button for a file of the API: fetched with the token, then downloaded; says when it is working. */
export function DownloadButton({ path, accept, name, children }: { path: string; accept: string; name: string; children: ReactNode }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setProblem(null);
    try {
      download(await apiFile(path, accept), name);
    } catch (err) {
      setProblem(errorWords(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="download">
      <button type="button" onClick={go} disabled={busy} aria-busy={busy}>
        {busy ? 'Preparing…' : children}
      </button>
      <Problem text={problem} />
    </span>
  );
}

/** The privacy officer's duties: subject access, erasure and holds, retention, inventory, breach scope. */
export function Privacy({ model }: { model: ModelView }) {
  const may = model.you.may;
  const subjects = model.resources.filter((r) => r.listable && r.parent === null);
  return (
    <div className="privacy">
      <h1>Privacy</h1>
      <nav aria-label="Privacy duties" className="subnav">
        <ul>
          {may.readSubjects && (
            <li>
              <a href="#subject">Subject access and erasure</a>
            </li>
          )}
          {may.readInventory && (
            <li>
              <a href="#retention">Retention</a>
            </li>
          )}
          {may.readInventory && (
            <li>
              <a href="#inventory">Record of processing</a>
            </li>
          )}
          {may.readIncidents && (
            <li>
              <a href="#breach">Breach scope</a>
            </li>
          )}
        </ul>
      </nav>
      {may.readSubjects && <SubjectSection resources={subjects} may={may} />}
      {may.readInventory && <RetentionSection />}
      {may.readInventory && <InventorySection />}
      {may.readIncidents && <BreachSection />}
    </div>
  );
}

// ---- Subject access, erasure, holds ----

interface AnnexAccess {
  eventId: string;
  occurredAt: string;
  who: { sub: string | null; roles: string[] };
  channel: string;
  purpose: string | null;
  action: string;
  outcome: 'allowed' | 'denied';
  resource: string;
  recordIds: string[];
  fields: { clear: string[]; masked: string[]; withheld: string[] };
}

interface AccessReport {
  subject: { resource: string; plural: string; id: string };
  generatedAt: string;
  policyVersion: string;
  record: RecordJson;
  children: Array<{ resource: string; plural: string; parent: string; visible: boolean; items: RecordJson[]; truncated: boolean }>;
  seenBy: {
    people: Array<{ sub: string; roles: string[]; events: number; firstSeen: string; lastSeen: string }>;
    peopleTruncated: boolean;
    accesses: AnnexAccess[];
    truncated: boolean;
  };
  limits: string[];
}

const UUIDISH = /^[A-Za-z0-9_.:-]{1,128}$/;

function SubjectSection({ resources, may }: { resources: ModelResource[]; may: ModelView['you']['may'] }) {
  const ids = { resource: useId(), field: useId(), value: useId() };
  const [resource, setResource] = useState<ModelResource | undefined>(resources[0]);
  const searchable = resource?.fields.filter((f) => ['string', 'text', 'id'].includes(f.type)) ?? [];
  const [field, setField] = useState(searchable.find((f) => f.name === 'fullName')?.name ?? searchable[0]?.name ?? '');
  const [value, setValue] = useState('');
  const [found, setFound] = useState<RecordJson[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!resource) return <p className="empty">The policy declares no resource you may read whose records are people: there is nobody to report on.</p>;

  const find = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setFound(null);
    setChosen(null);
    const text = value.trim();
    if (!text) return setProblem('Type a value to look for, or paste a record id.');
    setBusy(true);
    try {
      if (field === resource.idField) {
        if (!UUIDISH.test(text)) throw new ApiError(400, 'BAD_ID', 'That is not a record id: letters, digits and - _ . : only.');
        setChosen(text);
      } else {
        const query = new URLSearchParams({ limit: '20', [`filter[${field}]`]: text });
        const page = await api<Page<RecordJson>>(`/v1/${encodeURIComponent(resource.plural)}?${query}`);
        setFound(page.items);
        if (page.items.length === 1) setChosen(String(page.items[0]![resource.idField]));
      }
    } catch (err) {
      setProblem(errorWords(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section id="subject" aria-labelledby="subject-heading" className="card">
      <h2 id="subject-heading">Subject access and erasure</h2>
      <p className="hint">Find the person who asked: search by a field you see in clear (an exact match), or paste their record id.</p>
      <form onSubmit={find} className="search">
        <label htmlFor={ids.resource}>Resource</label>
        <select
          id={ids.resource}
          value={resource.name}
          onChange={(e) => {
            const next = resources.find((r) => r.name === e.target.value);
            setResource(next);
            setField(next?.fields.find((f) => f.name === 'fullName')?.name ?? next?.idField ?? '');
          }}
        >
          {resources.map((r) => (
            <option key={r.name} value={r.name}>
              {r.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.field}>Search by</label>
        <select id={ids.field} value={field} onChange={(e) => setField(e.target.value)}>
          {searchable.map((f) => (
            <option key={f.name} value={f.name}>
              {f.name === resource.idField ? `${f.name} (record id)` : f.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.value}>Value</label>
        <input id={ids.value} value={value} onChange={(e) => setValue(e.target.value)} maxLength={200} />
        <button type="submit" disabled={busy}>
          {busy ? 'Looking…' : 'Find'}
        </button>
      </form>
      <Problem text={problem} />
      {found && found.length === 0 && <p className="empty">No {resource.name} you may see has exactly that {field}. Check the spelling, or paste the record id.</p>}
      {found && found.length > 1 && (
        <ul className="choices" aria-label="Matching records">
          {found.map((r) => {
            const id = String(r[resource.idField]);
            return (
              <li key={id}>
                <button type="button" onClick={() => setChosen(id)} aria-pressed={chosen === id}>
                  {String(r[field] ?? id)} <code>{id}</code>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {chosen && <Subject key={`${resource.name}/${chosen}`} resource={resource} id={chosen} may={may} />}
    </section>
  );
}

function Subject({ resource, id, may }: { resource: ModelResource; id: string; may: ModelView['you']['may'] }) {
  const [report, setReport] = useState<AccessReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [erased, setErased] = useState(false);
  const path = `/v1/subjects/${encodeURIComponent(resource.plural)}/${encodeURIComponent(id)}`;
  // Erasure and holds by the resource's name: POST .../erase resolves the name only (a plural passes the check, then is not found).
  const byName = `/v1/subjects/${encodeURIComponent(resource.name)}/${encodeURIComponent(id)}`;

  useEffect(() => {
    const abort = new AbortController();
    setReport(null);
    setProblem(null);
    api<AccessReport>(`${path}/access-report`, { signal: abort.signal }).then(setReport, (err) => {
      if ((err as Error).name !== 'AbortError') setProblem(errorWords(err));
    });
    return () => abort.abort();
  }, [path, erased]);

  return (
    <div className="subject" data-subject={id}>
      <Problem text={problem} />
      {!report && !problem && <p aria-live="polite">Producing the subject access report…</p>}
      {report && <Report report={report} resource={resource} path={path} />}
      {may.holdSubjects && <HoldForm path={byName} name={resource.name} />}
      {may.eraseSubjects && <EraseForm path={byName} id={id} name={resource.name} onErased={() => setErased(true)} />}
    </div>
  );
}

function RecordFields({ record, resource }: { record: RecordJson; resource?: ModelResource }) {
  const names = resource ? resource.fields.map((f) => f.name) : Object.keys(record).filter((k) => k !== '_access');
  return (
    <dl className="record">
      {names.map((name) => {
        const field = resource?.fields.find((f) => f.name === name) ?? { name, type: 'string' as const, class: '', ref: null };
        const state = stateOf(record._access, name);
        return (
          <div key={name} className="row" data-field={name} data-state={state}>
            <dt>{name}</dt>
            <dd>
              <FieldValue field={field} value={record[name]} state={state} />
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

function Report({ report, resource, path }: { report: AccessReport; resource: ModelResource; path: string }) {
  const { seenBy } = report;
  return (
    <article aria-labelledby="report-heading" className="report">
      <h3 id="report-heading">
        Subject access report: {report.subject.resource} <code>{report.subject.id}</code>
      </h3>
      <p className="muted">
        Produced {when(report.generatedAt)} under policy {report.policyVersion}. Fields are shown as your role reads them: a <span className="badge masked">masked</span> value is
        not the real one, <span className="badge withheld">withheld</span> was not sent to you.
      </p>
      <div className="actions">
        <DownloadButton path={`${path}/access-report?format=html`} accept="text/html" name={`subject-access-${report.subject.resource}-${report.subject.id}.html`}>
          Printable version (.html)
        </DownloadButton>
        <button type="button" onClick={() => window.print()}>
          Print this page
        </button>
      </div>
      <h4>What is held</h4>
      <RecordFields record={report.record} resource={resource} />
      {report.children.map((c) => (
        <section key={`${c.parent}/${c.resource}`} data-children={c.resource}>
          <h4>
            {c.plural} ({c.items.length}
            {c.truncated ? '+' : ''})
          </h4>
          {!c.visible && <p className="muted">Your role may see no {c.resource} records: ask someone who may.</p>}
          {c.visible && c.items.length === 0 && <p className="muted">None.</p>}
          {c.items.map((item, i) => (
            <RecordFields key={String(item.id ?? i)} record={item} />
          ))}
        </section>
      ))}
      <h4>Who has seen this person’s data</h4>
      {seenBy.people.length === 0 ? (
        <p className="empty">Nobody has read these records through the service yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="seen-by">
            <caption className="visually-hidden">People who saw the data</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Roles</th>
                <th scope="col">Accesses</th>
                <th scope="col">First</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {seenBy.people.map((p) => (
                <tr key={p.sub} data-sub={p.sub}>
                  <th scope="row">{p.sub}</th>
                  <td>{p.roles.join(', ')}</td>
                  <td>{p.events}</td>
                  <td>{when(p.firstSeen)}</td>
                  <td>{when(p.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {seenBy.accesses.length > 0 && (
        <details>
          <summary>Every access ({seenBy.accesses.length}{seenBy.truncated ? '+' : ''})</summary>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Through</th>
                  <th scope="col">Fields in clear</th>
                  <th scope="col">Masked</th>
                </tr>
              </thead>
              <tbody>
                {seenBy.accesses.map((a) => (
                  <tr key={a.eventId} data-action={a.action}>
                    <td>{when(a.occurredAt)}</td>
                    <td>{a.who.sub ?? '—'}</td>
                    <td>
                      {a.action}
                      {a.outcome === 'denied' && <span className="badge withheld">refused</span>}
                    </td>
                    <td>
                      {a.channel}
                      {a.purpose && <div className="muted">{a.purpose}</div>}
                    </td>
                    <td>{a.fields.clear.join(', ') || '—'}</td>
                    <td>{a.fields.masked.join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {report.limits.length > 0 && (
        <ul className="limits">
          {report.limits.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
    </article>
  );
}

interface Hold {
  reason?: string;
  until?: string | null;
  placedAt?: string;
  placedBy?: string;
}

function HoldForm({ path, name }: { path: string; name: string }) {
  const ids = { reason: useId(), until: useId() };
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const place = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setDone(null);
    try {
      const body: { reason: string; until?: string } = { reason: reason.trim() };
      if (until) body.until = new Date(`${until}T23:59:59`).toISOString();
      const hold = await api<Hold>(`${path}/hold`, { method: 'POST', body });
      setDone(`Legal hold placed${hold.until ? ` until ${when(hold.until)}` : ' until released'}: this ${name} cannot be erased, by request or by retention, while it holds.`);
    } catch (err) {
      setProblem(errorWords(err));
    }
  };
  const release = async () => {
    setProblem(null);
    setDone(null);
    try {
      await api(`${path}/hold`, { method: 'DELETE' });
      setDone('Legal hold released: the record may be erased again.');
    } catch (err) {
      setProblem(errorWords(err));
    }
  };
  return (
    <details className="card hold">
      <summary>Legal hold</summary>
      <form onSubmit={place}>
        <p className="hint">A hold keeps the record and everything under it from erasure and retention (a dispute, an inspection). The reason stays out of the audit trail.</p>
        <label htmlFor={ids.reason}>Reason for the hold</label>
        <input id={ids.reason} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} />
        <label htmlFor={ids.until}>Until (optional)</label>
        <input id={ids.until} type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        <div className="actions">
          <button type="submit">Place hold</button>
          <button type="button" onClick={release}>
            Release hold
          </button>
        </div>
      </form>
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
      <Problem text={problem} />
    </details>
  );
}

interface Receipt {
  subject: { resource: string; id: string };
  reason: string;
  erasedAt: string;
  erasedBy: string;
  resources: Array<{ resource: string; records: number; deleted: string[]; anonymised: string[]; kept: Array<{ field: string; legalBasis: string }>; filesRemoved: number }>;
  audit: { eventId: string; seq: string };
}

function EraseForm({ path, id, name, onErased }: { path: string; id: string; name: string; onErased: () => void }) {
  const ids = { reason: useId(), confirm: useId() };
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState('');
  const [step, setStep] = useState<'form' | 'confirm' | 'working'>('form');
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const confirmed = confirm.trim() === id || confirm.trim() === 'ERASE';

  const erase = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    if (step === 'form') return setStep('confirm');
    if (!confirmed) return setProblem(`Type the record id ${id} or the word ERASE to confirm.`);
    setStep('working');
    try {
      setReceipt(await api<Receipt>(`${path}/erase`, { method: 'POST', body: { reason: reason.trim() } }));
      onErased();
    } catch (err) {
      setStep('confirm');
      if (err instanceof ApiError && err.code === 'LEGAL_HOLD')
        setProblem(`Not erased: a legal hold keeps this ${name} (or a record under it). Nothing was changed. Release the hold first if it no longer applies, then erase. (${err.message})`);
      else setProblem(errorWords(err));
    }
  };

  if (receipt) return <ReceiptView receipt={receipt} />;
  return (
    <form onSubmit={erase} className="card erase" aria-labelledby="erase-heading">
      <h3 id="erase-heading">Erase this person</h3>
      <p className="hint">
        Erasure deletes or anonymises their personal data and everything under the record, as the policy says for each field; what the law makes you keep stays, with its legal basis.
        It cannot be undone.
      </p>
      <label htmlFor={ids.reason}>Reason (kept with the receipt)</label>
      <input id={ids.reason} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} disabled={step !== 'form'} />
      {step !== 'form' && (
        <>
          <label htmlFor={ids.confirm}>
            To confirm, type the record id <code>{id}</code> or ERASE
          </label>
          <input id={ids.confirm} value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" autoFocus />
        </>
      )}
      <div className="actions">
        <button type="submit" className="danger" disabled={step === 'working' || (step === 'confirm' && !confirmed)}>
          {step === 'form' ? 'Erase…' : step === 'working' ? 'Erasing…' : 'Erase now'}
        </button>
        {step === 'confirm' && (
          <button type="button" onClick={() => setStep('form')}>
            Cancel
          </button>
        )}
      </div>
      <Problem text={problem} />
    </form>
  );
}

function ReceiptView({ receipt }: { receipt: Receipt }) {
  return (
    <section className="card receipt" aria-labelledby="receipt-heading" role="status">
      <h3 id="receipt-heading">Erasure receipt</h3>
      <p>
        {receipt.subject.resource} <code>{receipt.subject.id}</code> erased {when(receipt.erasedAt)} by {receipt.erasedBy}. Reason: {receipt.reason}
      </p>
      <p>
        Recorded in the audit trail as event <code>{receipt.audit.eventId}</code>, position <strong data-seq>{receipt.audit.seq}</strong> in the hash chain: keep these to prove it.
      </p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Records</th>
              <th scope="col">Deleted</th>
              <th scope="col">Anonymised</th>
              <th scope="col">Kept, and why</th>
              <th scope="col">Files removed</th>
            </tr>
          </thead>
          <tbody>
            {receipt.resources.map((r) => (
              <tr key={r.resource} data-resource={r.resource}>
                <th scope="row">{r.resource}</th>
                <td>{r.records}</td>
                <td>{r.deleted.join(', ') || '—'}</td>
                <td>{r.anonymised.join(', ') || '—'}</td>
                <td>{r.kept.map((k) => `${k.field} (${k.legalBasis})`).join('; ') || '—'}</td>
                <td>{r.filesRemoved}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

// ---- Retention dry run ----

interface RetentionDryRun {
  asOf: string;
  resources: Array<{ resource: string; after: string; from: string; then: 'erase' | 'delete'; due: number; held: number; children: Record<string, number>; complete?: boolean }>;
  limits: string[];
}

function RetentionSection() {
  const [run, setRun] = useState<RetentionDryRun | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => {
    setBusy(true);
    setProblem(null);
    api<RetentionDryRun>('/v1/retention')
      .then(setRun, (err) => setProblem(errorWords(err)))
      .finally(() => setBusy(false));
  };
  useEffect(load, []);
  return (
    <section id="retention" aria-labelledby="retention-heading" className="card">
      <h2 id="retention-heading">Retention (dry run)</h2>
      <p className="hint">What the policy’s retention rules would erase or delete if they ran now. Nothing changes here: the service’s schedule or <code>npm run retention</code> applies them.</p>
      <button type="button" onClick={load} disabled={busy}>
        {busy ? 'Counting…' : 'Count again'}
      </button>
      <Problem text={problem} />
      {run && run.resources.length === 0 && <p className="empty">No resource of the policy has a retention rule: add `retention:` to a resource to keep its records only so long.</p>}
      {run && run.resources.length > 0 && (
        <div className="table-wrap">
          <table className="retention">
            <caption>As of {when(run.asOf)}</caption>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Rule</th>
                <th scope="col">Past retention</th>
                <th scope="col">Kept by a legal hold</th>
                <th scope="col">Would go</th>
                <th scope="col">With</th>
              </tr>
            </thead>
            <tbody>
              {run.resources.map((r) => (
                <tr key={r.resource} data-resource={r.resource}>
                  <th scope="row">{r.resource}</th>
                  <td>
                    {r.then} {r.after} after {r.from}
                  </td>
                  <td data-due>{r.due}</td>
                  <td data-held>{r.held}</td>
                  <td>{r.due - r.held}</td>
                  <td>
                    {Object.entries(r.children)
                      .map(([n, c]) => `${c} ${n}`)
                      .join(', ') || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {run?.limits.map((l) => (
        <p key={l} className="muted">
          {l}
        </p>
      ))}
    </section>
  );
}

// ---- Inventory ----

interface Inventory {
  generatedAt: string;
  policy: { version: string };
  resources: Array<{
    name: string;
    plural: string;
    storage: { kind: string; table?: string };
    retention: { after: string; from: string; then: string } | null;
    fields: Array<{ name: string; type: string; class: string; mask: string | null; storedIn: string | null; clear: string[]; masked: string[]; none: string[] }>;
    purposes: Array<{ purpose: string; events?: number }> | null;
  }>;
  limits: string[];
}

function InventorySection() {
  const [inventory, setInventory] = useState<Inventory | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => {
    setBusy(true);
    setProblem(null);
    api<Inventory>('/v1/inventory')
      .then(setInventory, (err) => setProblem(errorWords(err)))
      .finally(() => setBusy(false));
  };
  return (
    <section id="inventory" aria-labelledby="inventory-heading" className="card">
      <h2 id="inventory-heading">Record of processing</h2>
      <p className="hint">The inventory of personal data (GDPR Art. 30): each field, its class, where it is stored, who sees it clear or masked, and how long it is kept.</p>
      <div className="actions">
        <button type="button" onClick={load} disabled={busy}>
          {busy ? 'Building…' : inventory ? 'Refresh' : 'Show the record of processing'}
        </button>
        <DownloadButton path="/v1/inventory?format=md" accept="text/markdown" name="record-of-processing.md">
          Download as a document (.md)
        </DownloadButton>
      </div>
      <Problem text={problem} />
      {inventory && (
        <>
          <p className="muted">
            Generated {when(inventory.generatedAt)} under policy {inventory.policy.version}.
          </p>
          {inventory.resources.map((r) => (
            <div key={r.name} className="table-wrap" data-inventory={r.name}>
              <table>
                <caption>
                  {r.name} — {r.storage.kind === 'table' ? `table ${r.storage.table ?? ''}` : 'kept by the caller'}; retention:{' '}
                  {r.retention ? `${r.retention.then} ${r.retention.after} after ${r.retention.from}` : 'none declared'}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Class</th>
                    <th scope="col">Clear for</th>
                    <th scope="col">Masked for</th>
                    <th scope="col">Not shown to</th>
                  </tr>
                </thead>
                <tbody>
                  {r.fields.map((f) => (
                    <tr key={f.name}>
                      <th scope="row">{f.name}</th>
                      <td>{f.class}</td>
                      <td>{f.clear.join(', ') || '—'}</td>
                      <td>{f.masked.join(', ') || '—'}</td>
                      <td>{f.none.join(', ') || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </>
      )}
    </section>
  );
}

// ---- Breach scope ----

interface Exposure {
  resource: string;
  id: string;
  clear: string[];
  masked: string[];
  personalClear: string[];
  firstExposure?: string;
  lastExposure?: string;
}

interface Scope {
  actors: string[];
  window: { from: string; to: string };
  scanned: { events: number; truncated: boolean };
  counts: { subjects: number; records: number; toNotify: number; maskedOnly: number; unprotectedOnly: number };
  categories: { clear: string[]; maskedOnly: string[] };
  notify: Exposure[];
  maskedOnly: Exposure[];
  exports: unknown[];
  chain: { verdict: 'intact' | 'broken' | 'partial' | 'empty' };
  limits: string[];
}

const CHAIN_WORDS: Record<Scope['chain']['verdict'], string> = {
  intact: 'Intact: the trail over this window verifies; these figures can be defended.',
  broken: 'Broken: the trail over this window does not verify. Treat these figures with care and report the break.',
  partial: 'Partly verified: only part of the window could be checked.',
  empty: 'No events in this window to verify.',
};

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function BreachSection() {
  const ids = { actors: useId(), from: useId(), to: useId() };
  const [actors, setActors] = useState('');
  const [from, setFrom] = useState(isoDay(new Date(Date.now() - 30 * 86_400_000)));
  const [to, setTo] = useState(isoDay(new Date()));
  const [scope, setScope] = useState<Scope | null>(null);
  const [query, setQuery] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const list = actors
      .split(/[\s,]+/)
      .map((a) => a.trim())
      .filter(Boolean);
    if (list.length === 0) return setProblem('Name at least one person (their subject, as in the audit trail), separated by commas.');
    const q = new URLSearchParams([...list.map((a) => ['actor', a]), ['from', from], ['to', to]]).toString();
    setBusy(true);
    try {
      setScope(await api<Scope>(`/v1/incidents/scope?${q}`));
      setQuery(q);
    } catch (err) {
      setProblem(errorWords(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section id="breach" aria-labelledby="breach-heading" className="card">
      <h2 id="breach-heading">Breach scope</h2>
      <p className="hint">After a breach (a stolen laptop, a leaked account): whose data the given people were shown in a window, what came in clear, and whom to notify.</p>
      <form onSubmit={run} className="search">
        <label htmlFor={ids.actors}>People (subjects, separated by commas)</label>
        <input id={ids.actors} value={actors} onChange={(e) => setActors(e.target.value)} maxLength={2000} />
        <label htmlFor={ids.from}>From</label>
        <input id={ids.from} type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
        <label htmlFor={ids.to}>To</label>
        <input id={ids.to} type="date" value={to} onChange={(e) => setTo(e.target.value)} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Scanning the trail…' : 'Scope'}
        </button>
      </form>
      <Problem text={problem} />
      {scope && (
        <div className="scope" aria-live="polite">
          <dl className="counts">
            <div>
              <dt>People seen</dt>
              <dd data-count="subjects">{scope.counts.subjects}</dd>
            </div>
            <div>
              <dt>Records</dt>
              <dd data-count="records">{scope.counts.records}</dd>
            </div>
            <div>
              <dt>To notify</dt>
              <dd data-count="toNotify">{scope.counts.toNotify}</dd>
            </div>
            <div>
              <dt>Seen masked only</dt>
              <dd data-count="maskedOnly">{scope.counts.maskedOnly}</dd>
            </div>
            <div>
              <dt>Events scanned</dt>
              <dd>
                {scope.scanned.events}
                {scope.scanned.truncated ? '+' : ''}
              </dd>
            </div>
          </dl>
          <p className={scope.chain.verdict === 'broken' ? 'error' : 'muted'} data-chain={scope.chain.verdict}>
            Audit chain: {CHAIN_WORDS[scope.chain.verdict]}
          </p>
          {scope.categories.clear.length > 0 && <p>Data seen in clear: {scope.categories.clear.join(', ')}</p>}
          {query && (
            <DownloadButton path={`/v1/incidents/scope?${query}&format=csv`} accept="text/csv" name="incident-notify.csv">
              Download the notify list (.csv)
            </DownloadButton>
          )}
          <ExposureTable title="To notify (a protected field seen in clear)" items={scope.notify} empty="Nobody’s protected data was seen in clear." kind="notify" />
          <ExposureTable title="Seen masked only (report, no letter)" items={scope.maskedOnly} empty="None." kind="masked" />
          {scope.limits.map((l) => (
            <p key={l} className="muted">
              {l}
            </p>
          ))}
        </div>
      )}
    </section>
  );
}

function ExposureTable({ title, items, empty, kind }: { title: string; items: Exposure[]; empty: string; kind: string }) {
  return (
    <>
      <h3>
        {title} ({items.length})
      </h3>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <div className="table-wrap">
          <table data-exposure={kind}>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Record</th>
                <th scope="col">In clear</th>
                <th scope="col">Masked</th>
              </tr>
            </thead>
            <tbody>
              {items.slice(0, 200).map((e) => (
                <tr key={`${e.resource}/${e.id}`}>
                  <td>{e.resource}</td>
                  <td>
                    <code>{e.id}</code>
                  </td>
                  <td>{e.clear.join(', ') || '—'}</td>
                  <td>{e.masked.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length > 200 && <p className="muted">The first 200 are shown; the CSV has them all.</p>}
        </div>
      )}
    </>
  );
}
