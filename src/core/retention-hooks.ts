import { activeHolds } from '../data/erasure.repository.js';
import { childLinks, refsOf } from '../data/retention.repository.js';
import type { Db } from '../data/database.js';
import { AppError } from '../errors.js';
import type { Model, ResourceModel } from '../model/model.js';
import { eraseSubject } from './erasure.service.js';
import type { Eraser, HeldCheck } from './retention.service.js';

/**
 * What retention borrows from the erasure duty: which records a legal hold keeps, and
 * how a record is erased (`then: erase`). Wired here, in one place, for the CLI and the
 * service's schedule alike.
 */
export function retentionHooks(model: Model): { held: HeldCheck; eraser: Eraser } {
  return { held: (db, r, ids) => heldRecords(db, model, r, ids), eraser };
}

const eraser: Eraser = async (deps, r, id, reason) => {
  try {
    const receipt = await eraseSubject({ db: deps.db, log: deps.log, auditWriter: deps.writer, audit: deps.audit, policy: { model: deps.model } }, r.name, id, reason);
    const children: Record<string, number> = {};
    for (const e of receipt.resources.slice(1)) if (e.records > 0) children[e.resource] = (children[e.resource] ?? 0) + e.records;
    return { eventId: receipt.audit.eventId, children };
  } catch (err) {
    // A hold placed since the batch looked: the erasure refused it, and audited that.
    if (err instanceof AppError && err.code === 'LEGAL_HOLD') return 'held';
    throw err;
  }
};

/**
 * Of these records of `r`, those a legal hold keeps: a hold on the record itself, on a
 * record above it (a hold on a customer keeps their bookings), or on a record under it
 * (deleting a customer would take a held booking with it).
 */
async function heldRecords(db: Db, model: Model, r: ResourceModel, ids: readonly string[]): Promise<ReadonlySet<string>> {
  const held = new Set(await activeHolds(db, r.name, ids));
  // Up the parent chain: at each level, the ancestors of these records, and whose they are.
  let rootsOf = new Map(ids.map((id) => [id, [id]]));
  for (let at = r; at.parent && rootsOf.size > 0; ) {
    const field = at.fields.find((f) => f.name === at.parent!.field)!;
    const up = new Map<string, string[]>();
    for (const l of await refsOf(db, at, field, [...rootsOf.keys()])) up.set(l.ref, [...(up.get(l.ref) ?? []), ...rootsOf.get(l.id)!]);
    at = model.resources.get(at.parent.resource)!;
    for (const h of await activeHolds(db, at.name, [...up.keys()])) for (const root of up.get(h) ?? []) held.add(root);
    rootsOf = up;
  }
  // Down to every descendant.
  const down = async (parent: ResourceModel, rootOfParent: Map<string, string>) => {
    for (const child of model.resources.values()) {
      if (child.parent?.resource !== parent.name || rootOfParent.size === 0) continue;
      const field = child.fields.find((f) => f.name === child.parent!.field)!;
      const links = await childLinks(db, child, field, [...rootOfParent.keys()]);
      const rootOfChild = new Map(links.map((l) => [l.id, rootOfParent.get(l.ref)!]));
      for (const h of await activeHolds(db, child.name, [...rootOfChild.keys()])) held.add(rootOfChild.get(h)!);
      await down(child, rootOfChild);
    }
  };
  await down(r, new Map(ids.map((id) => [id, id])));
  return held;
}
