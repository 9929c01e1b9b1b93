import { sql } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../data/database.js';
import type { RenderedRecord } from '../policy/field-access.js';
import type { Policy } from '../policy/load-policy.js';
import { requestRulesFor } from '../policy/request-rules.js';

/**
 * Grants: approved access requests, each revealing named fields of one record to one
 * person until it expires. Rendering asks this instance's memory, never the database:
 * a person's grants are loaded before their request runs (at most once a second; at
 * once after this instance approved or denied one of theirs), and a grant past its
 * expiry reveals nothing whatever the memory holds. Another instance learns of a new
 * grant within GRANT_REFRESH_MS.
 */
export interface Grant {
  id: string;
  resourceType: string;
  recordId: string;
  fields: readonly string[];
  expiresAtMs: number;
}

/** How often a person's grants are read again from the database. */
export const GRANT_REFRESH_MS = 1000;
const MAX_PEOPLE = 10_000;

const keyOf = (type: string, id: string) => `${type}\u0000${id}`;

export class GrantStore {
  private readonly loaded = new Map<string, { atMs: number; grants: Grant[] }>();
  /** activeFor's answer per loaded entry and policy: rendering a page asks once per record. */
  private readonly active = new WeakMap<object, { policy: Policy; roles: string; map: ReadonlyMap<string, Grant> | undefined }>();

  constructor(
    private readonly db: Db,
    /** The clock grants are judged by (tests move it); milliseconds since the epoch. */
    readonly now: () => number = Date.now,
  ) {}

  /** Whether this person could hold any grant under `policy`: only then is anything loaded. */
  static mayHoldGrants(policy: Policy, principal: Principal): boolean {
    return requestRulesFor(policy.requestRules, principal.roles).length > 0;
  }

  /** Makes sure the person's grants in memory are at most GRANT_REFRESH_MS old. */
  async refresh(sub: string): Promise<void> {
    const now = this.now();
    const current = this.loaded.get(sub);
    if (current && now - current.atMs < GRANT_REFRESH_MS && now >= current.atMs) return;
    const { rows } = await sql<{ id: string; resource_type: string; record_id: string; fields: string[]; expires_at: Date }>`
      SELECT id, resource_type, record_id, fields, expires_at FROM access_requests
      WHERE requester_sub = ${sub} AND status = 'approved' AND expires_at > ${new Date(now)}`.execute(this.db.withoutPlugins());
    if (this.loaded.size >= MAX_PEOPLE) this.loaded.clear();
    const grants = rows.map((r) => ({ id: r.id, resourceType: r.resource_type, recordId: r.record_id, fields: r.fields, expiresAtMs: r.expires_at.getTime() }));
    this.loaded.set(sub, { atMs: now, grants });
  }

  /** Drops what is known of a person: their next request reads their grants again. */
  forget(sub: string): void {
    this.loaded.delete(sub);
  }

  /**
   * The person's grants as of now, limited to the fields their roles may still ask for
   * (a policy that no longer lets them ask takes the grant's effect away with it).
   */
  activeFor(policy: Policy, principal: Principal): ReadonlyMap<string, Grant> | undefined {
    const entry = this.loaded.get(principal.sub);
    if (!entry || entry.grants.length === 0) return undefined;
    const roles = principal.roles.join('\u0000');
    const memo = this.active.get(entry);
    if (memo && memo.policy === policy && memo.roles === roles) return memo.map;
    const rules = requestRulesFor(policy.requestRules, principal.roles);
    const active = new Map<string, Grant>();
    for (const g of entry.grants) {
      const askable = new Set(rules.filter((r) => r.subject === g.resourceType).flatMap((r) => r.fields));
      const fields = g.fields.filter((f) => askable.has(f));
      if (fields.length > 0) active.set(keyOf(g.resourceType, g.recordId), { ...g, fields });
    }
    const map = active.size > 0 ? active : undefined;
    this.active.set(entry, { policy, roles, map });
    return map;
  }
}

/**
 * The record as rendered, with the fields a live grant names for it shown in clear where
 * the rules alone masked or withheld them; the decision then names those fields
 * (`revealed`) and the grant (for the audit row). Anything else is left as it was.
 */
export function revealGranted(
  grants: ReadonlyMap<string, Grant>,
  nowMs: number,
  type: string,
  id: unknown,
  record: Record<string, unknown>,
  rendered: RenderedRecord,
): RenderedRecord {
  const grant = grants.get(keyOf(type, String(id)));
  if (!grant || grant.expiresAtMs <= nowMs) return rendered;
  const { access } = rendered;
  const reveal = grant.fields.filter((f) => access.masked.includes(f) || access.withheld.includes(f));
  if (reveal.length === 0) return rendered;
  const values = { ...rendered.values };
  for (const f of reveal) values[f] = record[f];
  return {
    values,
    access: {
      clear: [...access.clear, ...reveal],
      masked: access.masked.filter((f) => !reveal.includes(f)),
      withheld: access.withheld.filter((f) => !reveal.includes(f)),
      revealed: reveal,
      grants: [grant.id],
    },
  };
}
