import type { Transform } from 'node:stream';
import * as customers from '../data/customer.repository.js';
import { fieldsOnType, renderRecord, resourceOf, type RenderedRecord } from '../policy/field-access.js';
import { sql, type SqlBool } from 'kysely';
import { sqlFilterFor } from '../data/policy-sql.js';
import { visibleFilter } from './customer.service.js';
import { openExportLedger, type ExportLedger } from './export-ledger.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { enforceReadBudget } from './read-budget.js';
import type { RequestContext } from './request-context.js';

const TYPE = 'Customer';
const NOTHING = () => sql<SqlBool>`false`;

export interface CustomerExport {
  /** Fields that may appear in a row (clear or masked for at least some record). */
  columns: string[];
  rows: AsyncIterable<RenderedRecord>;
  /** Pipe the encoded file through this last: it hashes what is sent and closes the ledger. */
  ledger: Transform;
}

/**
 * Bulk export is its own right (`export`), separate from reading. The audit event is
 * committed before the first byte leaves and names every record id the export will
 * contain; rows are then streamed from a cursor and rendered with the caller's field
 * rules, exactly as a read would show them. Exports count against the read budget.
 */
export async function exportCustomers(ctx: RequestContext, format: string): Promise<CustomerExport> {
  return auditingDenials(ctx, { action: 'export', resourceType: TYPE, resourceIds: [] }, async () => {
    assertCan(ctx, 'export', TYPE);
    const resource = resourceOf(ctx.policy, TYPE);
    // Type-level view (conditions ignored): every field that some record may show.
    const mayClear = new Set(fieldsOnType(ctx.ability, resource, 'read', TYPE));
    const mayMask = new Set(fieldsOnType(ctx.ability, resource, 'read_masked', TYPE));
    const columns = resource.fields.filter((f) => mayClear.has(f) || (mayMask.has(f) && resource.masks.has(f)));
    // Only records the caller may both see and export: export rules may carry conditions.
    const exportable = sqlFilterFor(ctx.ability, ['export'], TYPE) ?? NOTHING;
    const ids = await customers.visibleCustomerIds(ctx.db, (eb) => eb.and([visibleFilter(ctx)(eb), exportable(eb)]));
    await enforceReadBudget(ctx, 'Customer', { action: 'export', resourceIds: [] }, ids);
    const fields = {
      fieldsClear: columns.filter((f) => mayClear.has(f)),
      fieldsMasked: columns.filter((f) => !mayClear.has(f)),
      fieldsWithheld: resource.fields.filter((f) => !columns.includes(f)),
    };
    const exportEventId = await audit(ctx, {
      action: 'export',
      resourceType: TYPE,
      resourceIds: ids,
      outcome: 'allowed',
      reason: `format=${format}`,
      ...fields,
      details: { format, rows: ids.length },
    });
    const ledger = openExportLedger(ctx, format, exportEventId, fields);
    return { columns, rows: renderAll(ctx, ids, ledger), ledger: ledger.stream };
  });
}

async function* renderAll(ctx: RequestContext, ids: string[], ledger: ExportLedger): AsyncIterable<RenderedRecord> {
  for await (const customer of customers.streamCustomers(ctx.db, ids)) {
    ledger.countRow();
    yield renderRecord(ctx.ability, ctx.policy, TYPE, { ...customer });
  }
}
