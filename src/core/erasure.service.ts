import { z } from 'zod';
import type { AuditContext, AuditDecision } from '../audit/audit-event.js';
import { recordAuditEvent } from '../audit/audit-trail.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Db } from '../data/database.js';
import * as erasure from '../data/erasure.repository.js';
import * as records from '../data/record.repository.js';
import { refsOf } from '../data/retention.repository.js';
import { AppError, notFound } from '../errors.js';
import type { Log } from '../log.js';
import { erasureOf } from '../model/erasure-rules.js';
import { subjectResource, type FieldModel, type Model, type ResourceModel } from '../model/model.js';
import { assertCan, audit, auditingDenials } from './guard.js';
import { validationError } from './record-access.js';
import { visibleWhere } from './record.service.js';
import type { RequestContext } from './request-context.js';

export { activeHolds } from '../data/erasure.repository.js';

/** The policy-only resource whose `erase` and `hold` rights these are. */
const SUBJECT = 'Subject';

/** What was done to one resource's records in an erasure: names and counts, never values. */
export interface ErasedResource {
  resource: string;
  /** How many of its records the erasure reached (the subject, or its descendants). */
  records: number;
  /** Fields set to null. */
  deleted: string[];
  /** Fields given a fixed replacement of their type. */
  anonymised: string[];
  /** Fields left as they were, each with the legal basis for keeping it. */
  kept: Array<{ field: string; legalBasis: string }>;
  /** Stored files (bytes and their metadata) removed. */
  filesRemoved: number;
}

/** The proof of an erasure: what went, what stayed and why, and where the trail records it. */
export interface ErasureReceipt {
  subject: { resource: string; id: string };
  reason: string;
  erasedAt: string;
  erasedBy: string;
  /** The subject's resource first, then its descendants (parent chain) in model order. */
  resources: ErasedResource[];
  /** The `subject.erased` event: its id and its position in the hash chain. */
  audit: { eventId: string; seq: string };
}

/**
 * What eraseSubject needs: a RequestContext has it all, and so can a system actor (a
 * retention job) build it: the database, the model, the audit writer, a log, and an
 * AuditContext naming the actor (e.g. `{ principal: { sub: 'system:retention', roles: [],
 * tokenId: null, claims: {} }, channel: 'cli', ... }`).
 */
export interface ErasureDeps {
  // A RequestContext, or built by hand: see systemAuditContext.
  db: Db;
  log: Log;
  auditWriter: AuditWriter;
  audit: AuditContext;
  policy: { model: Model };
}

/**
 * The AuditContext of a job acting on its own (no request, no token): `sub` names it in
 * the trail (e.g. `system:retention`), recorded on the `cli` channel.
 */
export function systemAuditContext(sub: string, policyVersion: string): AuditContext {
  return { principal: { sub, roles: [], tokenId: null, claims: {} }, channel: 'cli', requestId: `${sub}-${Date.now()}`, purpose: null, clientIp: null, userAgent: null, policyVersion };
}

/**
 * Erases the person record `id` of the stored resource `resourceName` (GDPR Art. 17),
 * with every record under it (resources whose `parent` chain leads to it, recursively),
 * in one transaction:
 *   - each field is deleted, anonymised or kept as the model says (`onErase`, or the
 *     default: see erasureOf); stored files of deleted `file` fields are removed;
 *   - refused with 409 LEGAL_HOLD (nothing changes; audited as a denied `subject.erased`)
 *     if the record or any record under it is under an active legal hold;
 *   - 404 NOT_FOUND if the resource is not stored or the record does not exist;
 *   - one `subject.erased` audit event (ids, field names and counts; never values nor
 *     the reason), committed with the erasure; the reason is kept in `erasures`.
 * Erasing again is harmless: the same treatment finds nothing more to remove and gives a
 * new receipt (and a new event).
 *
 * It checks NO rights and no visibility: the caller does (eraseSubjectAs for HTTP; a
 * retention job acts on its own policy). Safe to call outside an HTTP request.
 */
export async function eraseSubject(deps: ErasureDeps, resourceName: string, id: string, reason: string): Promise<ErasureReceipt> {
  const r = deps.policy.model.resources.get(resourceName);
  if (!r) throw notFound(resourceName);
  const by = deps.audit.principal?.sub ?? 'system';
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const key = await erasure.lockRecord(trx, r, id);
      if (key === undefined) throw notFound(r.name);
      const tree = await lockTree(trx, deps.policy.model, r, key);
      const held: Array<{ resource: string; id: string }> = [];
      // A hold on the person keeps every record of theirs: erasing one of their bookings
      // directly is refused as erasing them would be.
      const above = await lockAncestors(trx, deps.policy.model, r, key);
      for (const { resource, ids } of [...above, ...tree]) for (const h of await erasure.activeHolds(trx, resource.name, ids)) held.push({ resource: resource.name, id: h });
      if (held.length > 0) {
        throw new AppError('LEGAL_HOLD', `This ${r.name} (or a record above or under it) is under a legal hold: nothing was erased. Release the hold first.`, { held });
      }
      const resources: ErasedResource[] = [];
      for (const { resource, ids } of tree) resources.push(await eraseRecords(trx, resource, ids));
      const decision: AuditDecision = {
        action: 'subject.erased',
        resourceType: r.name,
        resourceIds: [key],
        fieldsWritten: [...resources[0]!.deleted, ...resources[0]!.anonymised],
        outcome: 'allowed',
        details: {
          resources: resources.map((e) => ({ ...e, kept: e.kept.map((k) => k.field) })),
          records: Object.fromEntries(tree.filter((g) => g.resource !== r).map((g) => [g.resource.name, g.ids])),
        },
      };
      const eventId = await recordAuditEvent(deps.auditWriter, deps.log, deps.audit, decision, trx);
      await erasure.recordErasure(trx, eventId, r.name, key, reason, by);
      const seq = await erasure.auditSeq(trx, eventId);
      return { subject: { resource: r.name, id: key }, reason, erasedAt: new Date().toISOString(), erasedBy: by, resources, audit: { eventId, seq } };
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'LEGAL_HOLD') {
      await recordAuditEvent(deps.auditWriter, deps.log, deps.audit, { action: 'subject.erased', resourceType: r.name, resourceIds: [id], outcome: 'denied', reason: err.message, details: { held: err.extra.held } });
    }
    const code = (err as { code?: unknown }).code;
    // A replacement the table's own constraints refuse (a CHECK between two anonymised
    // timestamps): the policy's onErase does not fit this table.
    if (typeof code === 'string' && code.startsWith('23')) {
      throw new AppError('POLICY_INVALID', `The policy's onErase treatment for ${r.name} or a resource under it breaks a constraint of its table: nothing was erased. Declare onErase: keep (with a legalBasis) for the fields concerned.`);
    }
    throw err;
  }
}

/** The subject and every record under it, resource by resource, locked for update. */
async function lockTree(trx: Db, model: Model, root: ResourceModel, key: string): Promise<Array<{ resource: ResourceModel; ids: string[] }>> {
  const tree = [{ resource: root, ids: [key] }];
  // Breadth first. A resource has one parent, so each appears once; the loader refuses
  // parent cycles, so this ends.
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i]!;
    for (const child of model.resources.values()) {
      if (child.parent?.resource !== parent.resource.name) continue;
      const field = child.fields.find((f) => f.name === child.parent!.field)!;
      tree.push({ resource: child, ids: await erasure.lockChildren(trx, child, field, parent.ids) });
    }
  }
  return tree;
}

async function eraseRecords(trx: Db, r: ResourceModel, ids: string[]): Promise<ErasedResource> {
  const by = (t: string) => r.fields.filter((f) => erasureOf(f).treatment === t);
  const deleted = by('delete');
  const anonymised = by('anonymise');
  const columns = (fs: FieldModel[]) => fs.filter((f) => f.column !== null);
  await erasure.eraseColumns(trx, r, ids, columns(deleted), columns(anonymised));
  const fileDeleted = r.file !== undefined && deleted.includes(r.file.field);
  const filesRemoved = fileDeleted ? await erasure.removeFiles(trx, r, ids) : 0;
  await erasure.eraseRequestWords(trx, r.name, ids);
  return {
    resource: r.name,
    records: ids.length,
    deleted: deleted.map((f) => f.name),
    anonymised: anonymised.map((f) => f.name),
    kept: by('keep').map((f) => ({ field: f.name, legalBasis: erasureOf(f).legalBasis ?? '' })),
    filesRemoved,
  };
}

// ---- The HTTP doors: rights, visibility, input, then the core above. ----

// PostgreSQL text holds no NUL: refused here as a 400, not failed there as a 500.
const TEXT = z.string().trim().min(1).max(1000).refine((v) => !v.includes('\u0000'), 'must not contain a NUL character');
const eraseInput = z.object({ reason: TEXT }).strict();
const holdInput = z
  .object({
    reason: TEXT,
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .refine((v) => v === undefined || Date.parse(v) > Date.now(), 'must be in the future'),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw validationError(parsed.error.issues);
  return parsed.data;
}

/** The subject's record as the caller sees it, or 404 (an unknown resource too). */
async function visibleSubject(ctx: RequestContext, resource: string, id: string): Promise<{ r: ResourceModel; key: string }> {
  const r = subjectResource(ctx.policy.model, resource);
  if (!r) throw notFound('Resource');
  const found = await records.findVisibleRecord(ctx.db, r, id, visibleWhere(ctx, r));
  if (!found) throw notFound(r.name);
  return { r, key: String(found[r.id.name]) };
}

/**
 * The records above `key` through the parent chain (its customer, for a booking), each
 * locked as placing a hold locks it, so a hold and an erasure never cross. Locked after
 * the record itself: two erasures of a parent and its child at once may deadlock, which
 * PostgreSQL breaks by failing one of them (nothing is erased by the failed one).
 */
async function lockAncestors(trx: Db, model: Model, r: ResourceModel, key: string): Promise<Array<{ resource: ResourceModel; ids: string[] }>> {
  const found: Array<{ resource: ResourceModel; ids: string[] }> = [];
  let at = r;
  let id: string | undefined = key;
  while (at.parent && id !== undefined) {
    const link = at.parent;
    const field = at.fields.find((f) => f.name === link.field)!;
    const parent = model.resources.get(link.resource)!;
    const [ref] = await refsOf(trx, at, field, [id]);
    id = ref?.ref ? await erasure.lockRecord(trx, parent, ref.ref) : undefined;
    if (id !== undefined) found.push({ resource: parent, ids: [id] });
    at = parent;
  }
  return found;
}

/**
 * POST /v1/subjects/{resource}/{id}/erase: the `erase` right on Subject (403, audited),
 * a record the caller sees (404, audited), then eraseSubject. Children are erased whether
 * or not the caller's read rules show them: an erasure is of the whole person.
 */
export async function eraseSubjectAs(ctx: RequestContext, resource: string, id: string, body: unknown): Promise<ErasureReceipt> {
  const what = { action: 'subject.erased', resourceType: resource, resourceIds: [id] };
  const { reason, name, key } = await auditingDenials(ctx, what, async () => {
    assertCan(ctx, 'erase', SUBJECT);
    const input = parse(eraseInput, body);
    const { r, key } = await visibleSubject(ctx, resource, id);
    return { ...input, name: r.name, key };
  });
  return auditingDenials(ctx, what, () => eraseSubject(ctx, name, key, reason));
}

/** POST /v1/subjects/{resource}/{id}/hold: places or renews a legal hold (the reason stays out of the trail). */
export async function placeHoldAs(ctx: RequestContext, resource: string, id: string, body: unknown): Promise<erasure.LegalHold> {
  return auditingDenials(ctx, { action: 'subject.hold', resourceType: resource, resourceIds: [id] }, async () => {
    assertCan(ctx, 'hold', SUBJECT);
    const input = parse(holdInput, body);
    const { r, key } = await visibleSubject(ctx, resource, id);
    return ctx.db.transaction().execute(async (trx) => {
      // Locked as an erasure locks it: a hold and an erasure of the same record never cross.
      if ((await erasure.lockRecord(trx, r, key)) === undefined) throw notFound(r.name);
      const hold = await erasure.placeHold(trx, r.name, key, input.reason, input.until ? new Date(input.until) : null, ctx.principal.sub);
      await audit(ctx, { action: 'subject.hold', resourceType: r.name, resourceIds: [key], outcome: 'allowed', details: { until: hold.until } }, trx);
      return hold;
    });
  });
}

/** DELETE /v1/subjects/{resource}/{id}/hold: releases the record's hold, or 404 if it has none. */
export async function releaseHoldAs(ctx: RequestContext, resource: string, id: string): Promise<{ resource: string; id: string; releasedAt: string }> {
  return auditingDenials(ctx, { action: 'subject.released', resourceType: resource, resourceIds: [id] }, async () => {
    assertCan(ctx, 'hold', SUBJECT);
    const { r, key } = await visibleSubject(ctx, resource, id);
    return ctx.db.transaction().execute(async (trx) => {
      const released = await erasure.releaseHold(trx, r.name, key, ctx.principal.sub);
      if (!released) throw new AppError('NOT_FOUND', `This ${r.name} has no legal hold.`);
      await audit(ctx, { action: 'subject.released', resourceType: r.name, resourceIds: [key], outcome: 'allowed' }, trx);
      return { resource: r.name, id: key, ...released };
    });
  });
}
