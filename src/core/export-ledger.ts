import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { AuditDecision } from '../audit/audit-event.js';
import { audit } from './guard.js';
import type { RequestContext } from './request-context.js';

/** What the export event already said about the file: how each field was rendered. */
export type ExportFields = Required<Pick<AuditDecision, 'fieldsClear' | 'fieldsMasked' | 'fieldsWithheld'>>;

export interface ExportLedger {
  /** Called by the core for every record it renders into the export. */
  countRow(): void;
  /**
   * The last stage before the response: hashes and counts exactly the bytes handed to
   * it, and records `export.completed` (or `export.aborted`) when the stream ends.
   */
  stream: Transform;
}

/**
 * The second half of the export ledger. The `export` event, committed before the first
 * byte, says what was allowed to leave; this one says what did leave: the row count,
 * byte count and SHA-256 of the exact bytes sent, so a file found in the wild can be
 * matched to the person who downloaded it.
 *
 * On a normal end the completion is committed before the response ends, so once a
 * client has the whole file its ledger entry exists. If the client goes away or the
 * stream fails, `export.aborted` records how far it got (rows rendered and bytes handed
 * to the response; the client may have received fewer).
 */
export function openExportLedger(ctx: RequestContext, format: string, exportEventId: string, fields: ExportFields, resourceType = 'Customer'): ExportLedger {
  const hash = createHash('sha256');
  let rows = 0;
  let bytes = 0;
  let state: 'streaming' | 'finishing' | 'aborted' = 'streaming';

  const record = (action: string, extra: Record<string, unknown>) =>
    audit(ctx, {
      action,
      resourceType,
      resourceIds: [],
      outcome: 'allowed',
      ...fields,
      details: { format, rows, bytes, exportEventId, ...extra },
    });

  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      state = 'finishing';
      // A failed ledger write errors the stream, so the client sees a cut, not a clean end.
      record('export.completed', { sha256: hash.digest('hex') }).then(() => done(), done);
    },
    destroy(err, done) {
      // Type and code only: an error message may carry data.
      const loggable = (e: unknown) => ({ type: (e as Error)?.name, code: (e as { code?: string })?.code });
      if (state === 'streaming') {
        state = 'aborted';
        const code = (err as { code?: unknown } | null)?.code;
        const cause = !err ? 'client_disconnected' : code === 'PRINCIPAL_DISABLED' ? 'principal_disabled' : 'stream_failed';
        // Nobody is left to answer: the failure is logged by the audit trail itself.
        record('export.aborted', { cause }).catch((e: unknown) => ctx.log.error({ err: loggable(e) }, 'export abort not recorded'));
        if (cause === 'stream_failed') ctx.log.warn({ err: loggable(err) }, 'export stream failed');
      }
      done(err);
    },
  });
  return { countRow: () => void rows++, stream };
}
