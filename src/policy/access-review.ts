import { grantsFor, reviewAbility, type Grant } from './role-grants.js';
import { fieldKey, holdersOf, type AccessUseTally, type PersonUse } from './access-use.js';
import type { Policy } from './load-policy.js';

/**
 * - `used`: read as granted;
 * - `unused`: granted (clear or masked) and never shown in the window;
 * - `clear unused`: granted clear, shown only masked;
 * - `beyond grant`: shown more than the roles grant today (roles or policy changed in the window).
 */
export type Finding = 'used' | 'unused' | 'clear unused' | 'beyond grant';

export interface PersonFieldReview {
  resource: string;
  field: string;
  grant: Grant;
  conditional: boolean;
  grantText: string;
  clearReads: number;
  maskedReads: number;
  lastUsed: string | null;
  finding: Finding;
}

export interface PersonReview {
  sub: string;
  /** The roles of their latest event in the window: what they hold, as far as the trail knows. */
  roles: string[];
  rolesInWindow: string[];
  events: number;
  firstSeen: string;
  lastSeen: string;
  fields: PersonFieldReview[];
  /** `Type.field` they hold a right to read (clear or masked) and never read. */
  unused: string[];
  exports: Record<string, number>;
}

export interface ExportRight {
  role: string;
  resource: string;
  /** People of the window who held the role. */
  holders: number;
  exports: number;
  unused: boolean;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function findingOf(grant: Grant, clear: number, masked: number): Finding {
  if ((clear > 0 && grant !== 'clear') || (masked > 0 && grant === 'none')) return 'beyond grant';
  if (grant !== 'none' && clear + masked === 0) return 'unused';
  if (grant === 'clear' && clear === 0) return 'clear unused';
  return 'used';
}

/**
 * One person's rights against their reads: per resource type they may see (or were shown),
 * per field, what their roles grant today and what they read in the window.
 */
export function reviewPerson(policy: Policy, types: readonly string[], person: PersonUse): PersonReview {
  const fields: PersonFieldReview[] = [];
  for (const type of types) {
    const grants = grantsFor(policy, person.roles, type);
    for (const [field, g] of Object.entries(grants)) {
      const use = person.fields.get(fieldKey(type, field));
      const [clear, masked] = [use?.clear ?? 0, use?.masked ?? 0];
      if (g.grant === 'none' && clear + masked === 0) continue;
      const last = use ? [use.lastClear, use.lastMasked].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null : null;
      fields.push({ resource: type, field, grant: g.grant, conditional: g.conditional, grantText: g.text, clearReads: clear, maskedReads: masked, lastUsed: iso(last), finding: findingOf(g.grant, clear, masked) });
    }
  }
  return {
    sub: person.sub,
    roles: person.roles,
    rolesInWindow: [...person.rolesInWindow].sort(),
    events: person.events,
    firstSeen: person.firstSeen.toISOString(),
    lastSeen: person.lastSeen.toISOString(),
    fields,
    unused: fields.filter((f) => f.finding === 'unused').map((f) => fieldKey(f.resource, f.field)),
    exports: Object.fromEntries([...person.exports].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Per role and resource type it may export: how many exports its holders made in the window. */
export function exportRights(policy: Policy, types: readonly string[], tally: AccessUseTally): ExportRight[] {
  const out: ExportRight[] = [];
  for (const role of [...policy.roles.keys()].sort()) {
    const ability = reviewAbility(policy, [role]);
    const holders = holdersOf(role, tally.people.values());
    for (const type of types) {
      if (!ability.can('export', type)) continue;
      const exports = holders.reduce((n, p) => n + (p.exports.get(type) ?? 0), 0);
      out.push({ role, resource: type, holders: holders.length, exports, unused: exports === 0 });
    }
  }
  return out;
}
