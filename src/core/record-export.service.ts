import type { Transform } from 'node:stream';
import { sql, type SqlBool } from 'kysely';
import * as records from '../data/record.repository.js';
import { RECORD, type RecordValues } from '../data/record.repository.js';
import { sqlFilterForResource, type SqlFilter } from '../data/policy-sql.js';
import { budgetFor } from '../policy/read-budget.js';
import { EXPORT_RECORDS } from '../audit/export-events.js';
import { EXPORT_CHUNK, keysetChunks, type Chunk } from './export-chunks.js';
import type { ResourceModel } from '../model/model.js';
import { fieldsOnType, renderRecord, resourceOf, type RenderedRecord } from '../policy/field-access.js';
import { openExportLedger, type ExportLedger } from './export-ledger.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { countReads, modelOf, visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';
import { whileActive } from './while-active.js';
import { consentFilter, purposeOf, withholdForPurpose } from './purpose-consent.js';

const NOTHING = () => sql<SqlBool>`false`;

export interface RecordExport {
  /** The resource's plural, for the file name. */
  plural: string;
  /** Fields that may appear in a row (clear or masked for at least some record). */
  columns: string[];
  rows: AsyncIterable<RenderedRecord>;
  /** Pipe the encoded file through this last: it hashes what is sent and closes the ledger. */
  ledger: Transform;
}

/**
 * Bulk export of any stored resource is its own right (`export`), separate from reading.
 * Rows are read in id order a chunk at a time (EXPORT_CHUNK) under the caller's visibility
 * and export rules, and rendered with the caller's field rules, exactly as a read would
 * show them. Their ids are audited a chunk at a time too, each chunk committed before its
 * rows leave: the `export` event names the first chunk and is committed before the first
 * byte; each further chunk gets an `export.records` event pointing back at it. No id
 * list is held, so memory does not grow with the export. Exports count against the read
 * budget: a caller with a budget on the resource has the whole id list counted before
 * the first byte (the budget refuses the whole file or none of it), and gets exactly
 * those records.
 */
export async function exportRecords(ctx: RequestContext, type: string, format: string): Promise<RecordExport> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'export', resourceType: r.name, resourceIds: [] }, async () => {
    assertCan(ctx, 'export', r.name);
    const resource = resourceOf(ctx.policy, r.name);
    // Type-level view (conditions ignored): every field that some record may show.
    const mayClear = new Set(fieldsOnType(ctx.ability, resource, 'read', r.name));
    const mayMask = new Set(fieldsOnType(ctx.ability, resource, 'read_masked', r.name));
    const exported = new Set(r.fields.filter((f) => f.column !== null).map((f) => f.name));
    const columns = resource.fields.filter((f) => exported.has(f) && (mayClear.has(f) || (mayMask.has(f) && resource.masks.has(f))));
    // Only records the caller may both see and export: export rules may carry conditions.
    const exportable = [...visibleWhere(ctx, r), sqlFilterForResource(ctx.ability, ['export'], r, RECORD) ?? NOTHING];
    const selected = await budgetedSelection(ctx, r, exportable);
    // A declared purpose: the contact fields of subjects who did not consent stay out of the file.
    const purpose = purposeOf(ctx, r);
    const refused = purpose ? await records.countRecords(ctx.db, r, [...exportable, consentFilter(purpose, false)]) : 0;
    const optedOut = purpose && refused > 0 ? purpose.contact.filter((f) => columns.includes(f)) : [];
    const fields = {
      fieldsClear: columns.filter((f) => mayClear.has(f)),
      fieldsMasked: columns.filter((f) => !mayClear.has(f)),
      fieldsWithheld: [...resource.fields.filter((f) => !columns.includes(f)), ...optedOut],
    };
    const nextChunk = keysetChunks(
      (after, limit) => records.listVisibleRecords(ctx.db, r, { where: selected, sort: { field: r.id, descending: false }, after: after === null ? null : { value: after, id: after }, limit, prepare: true }),
      (record) => idOf(r, record),
      ctx.exportChunk ?? EXPORT_CHUNK,
    );
    const first = await nextChunk();
    const exportEventId = await audit(ctx, {
      action: 'export',
      resourceType: r.name,
      resourceIds: first.rows.map((record) => idOf(r, record)),
      outcome: 'allowed',
      reason: `format=${format}`,
      ...fields,
      details: {
        format,
        rows: first.rows.length,
        ...(first.more ? { continued: true } : {}),
        ...(optedOut.length > 0 ? { optedOut: { purpose: purpose!.name, fields: optedOut, records: refused } } : {}),
      },
    });
    const ledger = openExportLedger(ctx, format, exportEventId, fields, r.name);
    const auditChunk = (ids: string[], part: number) =>
      audit(ctx, {
        action: EXPORT_RECORDS,
        resourceType: r.name,
        resourceIds: ids,
        outcome: 'allowed',
        ...fields,
        details: { format, exportEventId, part, rows: ids.length },
      });
    return { plural: r.plural, columns, rows: renderAll(ctx, r, auditedRecords(r, nextChunk, first, auditChunk), ledger), ledger: ledger.stream };
  });
}

const idOf = (r: ResourceModel, record: RecordValues) => String(record[r.id.name]);

/**
 * What the export streams: every record matching `exportable`, or, for a caller with a
 * read budget on the resource, exactly the ids counted against it before the first byte.
 */
async function budgetedSelection(ctx: RequestContext, r: ResourceModel, exportable: SqlFilter[]): Promise<SqlFilter[]> {
  if (!budgetFor(ctx.policy.readBudgets, r.name, ctx.principal.roles)) return exportable;
  const ids = await records.visibleRecordIds(ctx.db, r, exportable);
  await countReads(ctx, r, 'export', ids);
  return [ids.length > 0 ? records.amongIds(r, ids) : NOTHING];
}

/**
 * The records of the audited chunks in order. While one chunk is sent, the next is read
 * and its `export.records` event committed; its rows are yielded only once it is. A chunk
 * that cannot be audited fails the stream (the client sees a cut, not a clean end).
 */
async function* auditedRecords(
  r: ResourceModel,
  nextChunk: () => Promise<Chunk<RecordValues>>,
  first: Chunk<RecordValues>,
  auditChunk: (ids: string[], part: number) => Promise<unknown>,
): AsyncIterable<RecordValues> {
  let chunk = first;
  let next: Promise<Chunk<RecordValues>> | null | undefined;
  try {
    for (let part = 1; ; part++) {
      const number = part;
      next = chunk.more
        ? nextChunk().then(async (c) => {
            if (c.rows.length > 0) await auditChunk(c.rows.map((record) => idOf(r, record)), number);
            return c;
          })
        : null;
      // Awaited below; if the client leaves first, the finally waits for it instead.
      next?.catch(() => {});
      yield* chunk.rows;
      if (!next) return;
      chunk = await next;
    }
  } finally {
    // Nothing is left reading or auditing behind the request.
    await next?.catch(() => {});
  }
}

async function* renderAll(ctx: RequestContext, r: ResourceModel, source: AsyncIterable<RecordValues>, ledger: ExportLedger): AsyncIterable<RenderedRecord> {
  // Cut off if the person is disabled meanwhile; the ledger records why.
  for await (const record of whileActive(ctx, source)) {
    ledger.countRow();
    yield withholdForPurpose(ctx, r.name, record, renderRecord(ctx.ability, ctx.policy, r.name, record));
  }
}
