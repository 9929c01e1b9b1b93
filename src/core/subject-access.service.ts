import { sql, type SqlBool } from 'kysely';
import type { AuditDecision } from '../audit/audit-event.js';
import { auditableId } from '../audit/audit-values.js';
import type { SqlFilter } from '../data/policy-sql.js';
import * as records from '../data/record.repository.js';
import { RECORD, type RecordValues } from '../data/record.repository.js';
import { notFound } from '../errors.js';
import { subjectResource, type ResourceModel } from '../model/model.js';
import type { RenderedRecord } from '../policy/field-access.js';
import { annexOf, SUBJECT_BOUNDS, type SeenBy } from './subject-access-annex.js';
import { assertCan, auditAll, auditingDenials, mergeDecisions } from './guard.js';
import { renderAs } from './record-access.js';
import { childrenOf, countReads, visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';

export { SUBJECT_BOUNDS };

/** The records of one child resource held about the subject. */
export interface ChildSection {
  resource: string;
  plural: string;
  /** The resource they hang from (the subject's, or a child's for grandchildren). */
  parent: string;
  /** False when the caller's roles may see no record of this resource at all. */
  visible: boolean;
  items: RenderedRecord[];
  /** More records than the report lists (SUBJECT_BOUNDS.childrenPerResource). */
  truncated: boolean;
}

export interface SubjectAccessReport {
  subject: { resource: string; plural: string; id: string };
  generatedAt: string;
  generatedBy: { sub: string; roles: readonly string[] };
  policyVersion: string;
  record: RenderedRecord;
  children: ChildSection[];
  seenBy: SeenBy;
  limits: string[];
}


/**
 * GDPR Art. 15: everything held about one person, and who saw it. The person is a record
 * of any stored resource (named by its plural, or its name); what is held is that record and every
 * record whose parent chain leads to it, each rendered as the caller reads it; who saw it
 * comes from the trail. The right is `read` on Subject; the record must exist for the
 * caller (404 as for a read). Bounded; audited as `subject.access_report`, one event per
 * resource shown, naming the records and the fields as they were shown.
 */
export async function subjectAccessReport(ctx: RequestContext, plural: string, id: string): Promise<SubjectAccessReport> {
  const r = subjectResource(ctx.policy.model, plural);
  return auditingDenials(ctx, { action: 'subject.access_report', resourceType: r?.name ?? 'Subject', resourceIds: [id] }, async () => {
    assertCan(ctx, 'read', 'Subject');
    if (!r) throw notFound('Resource');
    const found = await records.findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
    if (!found) throw notFound(r.name);
    const key = String(found[r.id.name]);
    const record = renderAs(ctx, r.name, withFileMetadata(r, found));
    const shown = await descendantsOf(ctx, r, key);
    const children = shown.map((f) => f.section);
    await countReads(ctx, r, 'read', [key]);
    for (const { child, ids } of shown) await countReads(ctx, child, 'list', ids);
    const targets = [{ resourceType: r.name, ids: [key] }, ...shown.map((f) => ({ resourceType: f.child.name, ids: f.ids }))];
    const seenBy = await annexOf(ctx, targets.map((t) => ({ ...t, ids: t.ids.map(auditableId) })));
    const subject = { resource: r.name, id: key };
    const truncated = seenBy.truncated || children.some((c) => c.truncated);
    const events: AuditDecision[] = [
      {
        action: 'subject.access_report', resourceType: r.name, resourceIds: [key], outcome: 'allowed', ...mergeDecisions([record.access]),
        details: { children: Object.fromEntries(children.map((c) => [c.resource, c.items.length])), annexRows: seenBy.accesses.length, truncated },
      },
      ...shown.filter((f) => f.ids.length > 0).map((f): AuditDecision => ({
        action: 'subject.access_report', resourceType: f.child.name, resourceIds: f.ids, outcome: 'allowed',
        ...mergeDecisions(f.section.items.map((i) => i.access)), details: { subject },
      })),
    ];
    // Every record shown is named in the trail, or none is and the caller gets 503.
    await ctx.db.transaction().execute((trx) => auditAll(ctx, events, trx));
    return {
      subject: { ...subject, plural: r.plural },
      generatedAt: new Date().toISOString(),
      generatedBy: { sub: ctx.principal.sub, roles: ctx.principal.roles },
      policyVersion: ctx.policy.version,
      record,
      children,
      seenBy,
      limits: limitsOf(children, seenBy),
    };
  });
}

interface Descendants {
  child: ResourceModel;
  ids: string[];
  section: ChildSection;
}

/**
 * Every record whose parent chain leads to the subject, level by level: each child
 * resource of a level's resources, under the records of it shown, at most
 * SUBJECT_BOUNDS.childrenPerResource per resource, in id order. Visibility is the
 * child's own (its rules and its chain's), as for any list.
 */
async function descendantsOf(ctx: RequestContext, root: ResourceModel, rootId: string): Promise<Descendants[]> {
  const found: Descendants[] = [];
  const seen = new Set([root.name]);
  const queue: Array<{ r: ResourceModel; ids: string[] }> = [{ r: root, ids: [rootId] }];
  for (let level = queue.shift(); level; level = queue.shift()) {
    for (const [child, field] of childrenOf(ctx, level.r)) {
      if (seen.has(child.name)) continue;
      seen.add(child.name);
      const visible = ctx.ability.can('read', child.name) || ctx.ability.can('read_masked', child.name);
      const under: SqlFilter = () => sql<SqlBool>`${sql.ref(`${RECORD}.${field.column}`)} = any(${level.ids})`;
      const limit = SUBJECT_BOUNDS.childrenPerResource;
      const rows = visible && level.ids.length > 0
        ? await records.listVisibleRecords(ctx.db, child, { where: [...visibleWhere(ctx, child), under], sort: { field: child.id, descending: false }, after: null, limit: limit + 1 })
        : [];
      const listed = rows.slice(0, limit);
      // Ids from the rows, not the rendering: a caller may not read a record's id field.
      const ids = listed.map((row) => String(row[child.id.name]));
      const items = listed.map((row) => renderAs(ctx, child.name, withFileMetadata(child, row)));
      found.push({ child, ids, section: { resource: child.name, plural: child.plural, parent: level.r.name, visible, items, truncated: rows.length > limit } });
      queue.push({ r: child, ids });
    }
  }
  return found;
}

/**
 * A `file` field reads as what record_files knows of its bytes. The built-in Document
 * keeps that in its own columns (its upload door predates record_files): read from there.
 */
function withFileMetadata(r: ResourceModel, row: RecordValues): RecordValues {
  const file = r.file?.field.name;
  if (!file || row[file] !== null || typeof row.sha256 !== 'string' || typeof row.contentType !== 'string') return row;
  return { ...row, [file]: { mediaType: row.contentType, sizeBytes: row.sizeBytes, sha256: row.sha256 } };
}

function limitsOf(children: ChildSection[], seenBy: SeenBy): string[] {
  const limits = [
    // Read by the person who prepares the report and by the person it is about: worded for both.
    'Records are shown as the person who prepared this report may read them: masked fields appear masked, withheld fields are left out, and records they may not see are not listed. Where anything is masked or withheld, the data itself is still owed: a complete report is prepared by someone who may read it in clear.',
    'File contents are not included, only what is known of each file (type, size, SHA-256).',
    'Who saw the data comes from the audit trail: every request that named these records, with the fields it showed. A list names every record it showed. Events about records deleted since, or older than the trail keeps, cannot be found.',
  ];
  for (const c of children.filter((s) => s.truncated)) limits.push(`Only the first ${SUBJECT_BOUNDS.childrenPerResource} ${c.plural} are listed.`);
  if (seenBy.truncated) limits.push(`Only the latest ${SUBJECT_BOUNDS.annexRows} accesses are listed.`);
  if (seenBy.peopleTruncated) limits.push(`Only the ${SUBJECT_BOUNDS.people} people who saw the data most recently are listed.`);
  return limits;
}
