import { useCallback, useEffect, useState } from 'react';
import { api, errorWords } from '../api.js';
import { readTrail, type TrailEvent } from './trail.js';
import { Problem } from './ui.js';

interface Verify {
  ok: boolean;
  verified: number;
  head: { seq: string; hash: string } | null;
  firstBroken: { seq: string; eventId: string | null; problem: string } | null;
}

/** Pages of checkpoint events read to find the latest: checkpoints are few. */
const CHECKPOINT_PAGES = 10;

/**
 * The audit chain's state: GET /v1/audit/verify walks the whole chain (and records that it
 * did), so it runs when the page opens and on request, not on every refresh; the last
 * checkpoint is the newest `checkpoint` event of the trail.
 */
export function ChainState() {
  const [report, setReport] = useState<Verify | null>(null);
  const [checkpoint, setCheckpoint] = useState<TrailEvent | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const verify = useCallback(async (signal?: AbortSignal) => {
    setBusy(true);
    setProblem(null);
    try {
      setReport(await api<Verify>('/v1/audit/verify', signal ? { signal } : {}));
      const { events } = await readTrail({ action: 'checkpoint', outcome: 'allowed' }, CHECKPOINT_PAGES, signal);
      setCheckpoint(events[events.length - 1] ?? null);
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      setProblem(errorWords(err));
    }
    setBusy(false);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    void verify(abort.signal);
    return () => abort.abort();
  }, [verify]);

  return (
    <section className={`chain ${report ? (report.ok ? 'intact' : 'broken') : ''}`} aria-labelledby="chain-title" aria-busy={busy}>
      <h2 id="chain-title">Audit chain</h2>
      {busy && <p aria-live="polite">Verifying every link of the chain…</p>}
      <Problem problem={problem} />
      {report && !busy && (
        <p className="chain-state" aria-live="polite">
          {report.ok ? (
            <>
              <span className="badge ok">intact</span> {report.verified} events verified
              {report.head && (
                <>
                  , head at seq {report.head.seq} <code className="hash">{report.head.hash.slice(0, 16)}…</code>
                </>
              )}
              .
            </>
          ) : (
            <>
              <span className="badge withheld">broken</span> The audit trail has been changed: it breaks at seq <strong data-broken-seq={report.firstBroken?.seq}>{report.firstBroken?.seq}</strong>
              {report.firstBroken?.eventId && (
                <>
                  {' '}
                  (event <code>{report.firstBroken.eventId}</code>)
                </>
              )}
              , where {report.firstBroken?.problem ?? 'the link does not hold'}. The {report.verified} events before it verify; from there on the trail cannot be trusted. Tell your security contact (see docs/audit.md).
            </>
          )}
        </p>
      )}
      {checkpoint !== undefined && !busy && (
        <p className="chain-checkpoint">
          {checkpoint ? (
            <>
              Last checkpoint: seq {checkpoint.seq}
              {checkpoint.hash && (
                <>
                  {' '}
                  <code className="hash">
                    {checkpoint.seq}:{checkpoint.hash}
                  </code>
                </>
              )}
              , {new Date(checkpoint.occurredAt).toLocaleString()} by {checkpoint.actor.sub ?? 'the command line'}.
            </>
          ) : (
            <span className="muted">No checkpoint recorded yet: run `npm run audit -- checkpoint` and keep the line it prints outside the database.</span>
          )}
        </p>
      )}
      <button type="button" onClick={() => void verify()} disabled={busy}>
        Verify again
      </button>
    </section>
  );
}
