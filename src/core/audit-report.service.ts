import { MAX_SUB_LENGTH } from '../ids.js';
import { z } from 'zod';
import * as report from '../audit/audit-report.repository.js';
import type { ReportExport, ReportPeriod } from '../audit/audit-report.repository.js';
import { AppError } from '../errors.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import type { RequestContext } from './request-context.js';

export interface AuditReport {
  actor: string;
  from: string | null;
  to: string;
  customers: { count: number; ids: string[] };
  fields: Record<string, { clear: number; masked: number }>;
  exports: ReportExport[];
  denials: number;
  anomalies: Awaited<ReturnType<typeof report.anomaliesOf>>;
  actions: Array<{ action: string; outcome: string; count: number }>;
}

const DAY = 86_400_000;
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const querySchema = z.object({ actor: z.string().min(1).max(MAX_SUB_LENGTH), from: instant.optional(), to: instant.optional() });

/** A date alone means the whole day: from its first instant, to its last. */
const startOf = (text: string) => new Date(text);
const endOf = (text: string) => (text.length === 10 ? new Date(new Date(text).getTime() + DAY - 1) : new Date(text));

function parsePeriod(query: unknown): ReportPeriod {
  const parsed = querySchema.safeParse(query);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'query')))];
    throw new AppError('VALIDATION_FAILED', `Give actor, and from and to as ISO 8601 dates or date-times: check ${fields.join(', ')}.`, { fields });
  }
  const { actor, from, to } = parsed.data;
  const period = { actor, from: from ? startOf(from) : null, to: to ? endOf(to) : new Date() };
  if (period.from && period.from > period.to) throw new AppError('VALIDATION_FAILED', 'from must not be after to.', { fields: ['from', 'to'] });
  return period;
}

/**
 * What one person accessed in a period, summarised from the audit trail: the customers
 * they were shown, how often each field came clear or masked, each export with the
 * sha256 of the file that left, their denials and anomalies. For admin and auditor;
 * the right is checked before the query, so others learn nothing from validation.
 * Reports are themselves audited: who investigated whom is part of the trail.
 */
export async function auditReport(ctx: RequestContext, query: unknown): Promise<AuditReport> {
  return auditingDenials(ctx, { action: 'report', resourceType: 'AuditEvent', resourceIds: [] }, async () => {
    assertCan(ctx, 'read', 'AuditEvent');
    const p = parsePeriod(query);
    const customers = await report.customersRead(ctx.db, p);
    const fields = await report.fieldUse(ctx.db, p);
    const exports = await report.exportsOf(ctx.db, p);
    const anomalies = await report.anomaliesOf(ctx.db, p);
    const actions = await report.actionCounts(ctx.db, p);
    const period = { actor: p.actor, from: p.from?.toISOString() ?? null, to: p.to.toISOString() };
    await audit(ctx, { action: 'report', resourceType: 'AuditEvent', resourceIds: [], outcome: 'allowed', details: period });
    return {
      ...period,
      customers: { count: customers.length, ids: customers },
      fields,
      exports,
      denials: actions.filter((a) => a.outcome === 'denied').reduce((n, a) => n + a.count, 0),
      anomalies,
      actions,
    };
  });
}
