import { sql, type SqlBool } from 'kysely';
import * as records from '../data/record.repository.js';
import { RECORD } from '../data/record.repository.js';
import { sqlFilterForResource } from '../data/policy-sql.js';
import { notFound } from '../errors.js';
import type { PurposeModel, ResourceModel } from '../model/model.js';
import { fieldsOnType, renderRecord, resourceOf, type RenderedRecord } from '../policy/field-access.js';
import { openExportLedger, type ExportLedger } from './export-ledger.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { consented, consentFilter } from './purpose-consent.js';
import { enforceReadBudget } from './read-budget.js';
import type { RecordExport } from './record-export.service.js';
import { modelOf, visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';
import { whileActive } from './while-active.js';

const NOTHING = () => sql<SqlBool>`false`;

export interface AudienceExport extends RecordExport {
  /** The purpose's contact fields the caller may see on no record: absent from every row. */
  withheld: string[];
}

/**
 * The audience of a purpose: the id and the purpose's contact fields of the records the
 * caller may see whose subjects consented (optOut not true, or optIn true), never the
 * others. Its own right (`audience`), rendered with the caller's field rules (masked
 * where they read masks), counted against the read budget and audited as an export is:
 * an `audience` event naming every record before the first byte, then the export
 * ledger's `export.completed` with the file's SHA-256 (or `export.aborted`).
 */
export async function exportAudience(ctx: RequestContext, type: string, purposeName: string, format: string): Promise<AudienceExport> {
  const r = modelOf(ctx, type);
  return auditingDenials(ctx, { action: 'audience', resourceType: r.name, resourceIds: [] }, async () => {
    assertCan(ctx, 'audience', r.name);
    const purpose = r.purposes?.get(purposeName);
    if (!purpose) throw notFound(`The purpose ${purposeName} of ${r.name}`);
    const resource = resourceOf(ctx.policy, r.name);
    const mayClear = new Set(fieldsOnType(ctx.ability, resource, 'read', r.name));
    const mayMask = new Set(fieldsOnType(ctx.ability, resource, 'read_masked', r.name));
    const wanted = [r.id.name, ...purpose.contact];
    const columns = wanted.filter((f) => mayClear.has(f) || (mayMask.has(f) && resource.masks.has(f)));
    const withheld = wanted.filter((f) => !columns.includes(f));
    // Records the caller may see, the audience rule allows (it may carry conditions), and whose subject said yes.
    const allowed = sqlFilterForResource(ctx.ability, ['audience'], r, RECORD) ?? NOTHING;
    const ids = await records.visibleRecordIds(ctx.db, r, [...visibleWhere(ctx, r), allowed, consentFilter(purpose)]);
    await enforceReadBudget(ctx, r.name, { action: 'audience', resourceIds: [] }, ids);
    const fields = {
      fieldsClear: columns.filter((f) => mayClear.has(f)),
      fieldsMasked: columns.filter((f) => !mayClear.has(f)),
      fieldsWithheld: withheld,
    };
    const eventId = await audit(ctx, {
      action: 'audience',
      resourceType: r.name,
      resourceIds: ids,
      outcome: 'allowed',
      reason: `purpose=${purpose.name} format=${format}`,
      ...fields,
      details: { purpose: purpose.name, format, rows: ids.length },
    });
    const ledger = openExportLedger(ctx, format, eventId, fields, r.name);
    return { plural: `${r.plural}-${purpose.name}-audience`, columns, withheld, rows: renderAudience(ctx, r, purpose, columns, withheld, ids, ledger), ledger: ledger.stream };
  });
}

async function* renderAudience(ctx: RequestContext, r: ResourceModel, purpose: PurposeModel, columns: string[], withheld: string[], ids: string[], ledger: ExportLedger): AsyncIterable<RenderedRecord> {
  const shown = new Set(columns);
  const only = (list: readonly string[]) => list.filter((f) => shown.has(f));
  for await (const record of whileActive(ctx, records.streamRecords(ctx.db, r, ids))) {
    // A subject who said no while the file streams is left out: the no holds at once.
    if (!consented(purpose, record)) continue;
    ledger.countRow();
    const { values, access } = renderRecord(ctx.ability, ctx.policy, r.name, record);
    yield {
      values: Object.fromEntries(Object.entries(values).filter(([f]) => shown.has(f))),
      access: { clear: only(access.clear), masked: only(access.masked), withheld: [...only(access.withheld), ...withheld] },
    };
  }
}
