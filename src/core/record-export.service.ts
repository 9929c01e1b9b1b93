import type { Transform } from 'node:stream';
import { sql, type SqlBool } from 'kysely';
import * as records from '../data/record.repository.js';
import { RECORD } from '../data/record.repository.js';
import { sqlFilterForResource } from '../data/policy-sql.js';
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
 * The audit event is committed before the first byte leaves and names every record id
 * the export will contain; rows are then streamed from a cursor and rendered with the
 * caller's field rules, exactly as a read would show them. Exports count against the
 * read budget.
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
    const exportable = sqlFilterForResource(ctx.ability, ['export'], r, RECORD) ?? NOTHING;
    const ids = await records.visibleRecordIds(ctx.db, r, [...visibleWhere(ctx, r), exportable]);
    await countReads(ctx, r, 'export', ids);
    // A declared purpose: the contact fields of subjects who did not consent stay out of the file.
    const purpose = purposeOf(ctx, r);
    const refusedBy = purpose && ids.length > 0 ? await records.visibleRecordIds(ctx.db, r, [...visibleWhere(ctx, r), exportable, consentFilter(purpose, false)]) : [];
    const optedOut = purpose && refusedBy.length > 0 ? purpose.contact.filter((f) => columns.includes(f)) : [];
    const fields = {
      fieldsClear: columns.filter((f) => mayClear.has(f)),
      fieldsMasked: columns.filter((f) => !mayClear.has(f)),
      fieldsWithheld: [...resource.fields.filter((f) => !columns.includes(f)), ...optedOut],
    };
    const exportEventId = await audit(ctx, {
      action: 'export',
      resourceType: r.name,
      resourceIds: ids,
      outcome: 'allowed',
      reason: `format=${format}`,
      ...fields,
      details: { format, rows: ids.length, ...(optedOut.length > 0 ? { optedOut: { purpose: purpose!.name, fields: optedOut, records: refusedBy.length } } : {}) },
    });
    const ledger = openExportLedger(ctx, format, exportEventId, fields, r.name);
    return { plural: r.plural, columns, rows: renderAll(ctx, r, ids, ledger), ledger: ledger.stream };
  });
}

async function* renderAll(ctx: RequestContext, r: ResourceModel, ids: string[], ledger: ExportLedger): AsyncIterable<RenderedRecord> {
  // Cut off if the person is disabled meanwhile; the ledger records why.
  for await (const record of whileActive(ctx, records.streamRecords(ctx.db, r, ids))) {
    ledger.countRow();
    yield withholdForPurpose(ctx, r.name, record, renderRecord(ctx.ability, ctx.policy, r.name, record));
  }
}
