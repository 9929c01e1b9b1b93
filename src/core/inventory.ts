import type { TrailFacts } from '../audit/inventory.repository.js';
import { qualifiedName, type FieldModel } from '../model/model.js';
import type { Policy } from '../policy/load-policy.js';
import { grantsFor } from '../policy/role-grants.js';

/** One role's view of one field: the most it shows on some record, and in words when it depends on the record. */
export interface RoleView {
  role: string;
  grant: 'clear' | 'masked' | 'none';
  conditional: boolean;
  text: string;
}

export interface InventoryField {
  name: string;
  type: string;
  class: string;
  mask: string | null;
  /** `schema.table.column`, or the chunk table for a file's bytes; null when the caller keeps the record. */
  storedIn: string | null;
  clear: string[];
  masked: string[];
  none: string[];
  roles: RoleView[];
}

export interface InventoryResource {
  name: string;
  plural: string;
  storage: { kind: 'table'; table: string; adopted: boolean; chunks: string | null } | { kind: 'caller' };
  parent: { resource: string; field: string } | null;
  /** The policy's `retention:` (`after` as written, the field it runs from, erase or delete); null: not declared. */
  retention: { after: string; from: string; then: 'erase' | 'delete' } | null;
  fields: InventoryField[];
  /** Declared purposes on requests that showed its records (trail, last `days`); null when the trail was not read. */
  purposes: TrailFacts['purposes'] | null;
}

export interface Inventory {
  title: string;
  generatedAt: string;
  policy: { version: string; description: string | null };
  /** The trail's window; null when it was not read (the CLI without DATABASE_URL). */
  window: { days: number; from: string; to: string } | null;
  resources: InventoryResource[];
  exports: TrailFacts['exports'] | null;
  security: SecurityMeasures;
  limits: string[];
}

export interface SecurityMeasures {
  masking: Array<{ strategy: string; fields: string[] }>;
  auditTrail: { appendOnly: true; hashChained: true; lastCheckpoint: TrailFacts['lastCheckpoint']; lastVerification: TrailFacts['lastVerification'] } | null;
  readBudgets: Array<{ role: string; resource: string; limit: number; window: string; onExceed: string }>;
  accessRequests: Array<{ role: string; resource: string; fields: string[]; approvers: string[]; maxMinutes: number; breakGlass: boolean }>;
  accessRequestEvents: TrailFacts['accessRequests'] | null;
  principalDisabling: { roles: string[]; disabledNow: number | null };
  rateLimit: { perClient: number; windowMs: number } | null;
}

/** What the inventory knows beyond the policy: the trail, if read, and the running limits. */
export interface InventoryInputs {
  facts: TrailFacts | null;
  days: number;
  now: Date;
  rateLimit: { max: number; windowMs: number } | null;
}

const documentOf = (policy: Policy) => (policy.document ?? {}) as { description?: string };

/**
 * The record of processing (GDPR Art. 30), generated: each stored resource and field with
 * its data class, where it lies, which roles see it clear, masked or not at all (decided
 * by the engine, as `policy check` decides), what the trail says callers declared as
 * purposes and who exported, and the security measures in force.
 */
export function buildInventory(policy: Policy, input: InventoryInputs): Inventory {
  const roles = [...policy.roles.keys()].sort();
  const resources: InventoryResource[] = [];
  const kept = [...(policy.model.callerKept?.values() ?? [])].map((r) => ({ ...r, table: null, adopt: false, parent: undefined, file: undefined }));
  for (const r of [...policy.model.resources.values(), ...kept]) {
    const grants = Object.fromEntries(roles.map((role) => [role, grantsFor(policy, [role], r.name)]));
    const storedIn = (f: FieldModel) => (!r.table ? null : f.type === 'file' && r.file ? qualifiedName(r.file.chunks.table) : `${qualifiedName(r.table)}.${f.column}`);
    const fields = r.fields.map((f): InventoryField => {
      const views = roles.map((role): RoleView => {
        const g = grants[role]?.[f.name];
        return { role, grant: g?.grant ?? 'none', conditional: g?.conditional ?? false, text: g?.text ?? 'withheld' };
      });
      const mask = policy.resources.get(r.name)?.masks.get(f.name)?.name ?? null;
      const of = (grant: RoleView['grant']) => views.filter((v) => v.grant === grant).map((v) => v.role);
      return { name: f.name, type: f.type, class: f.class, mask, storedIn: storedIn(f), clear: of('clear'), masked: of('masked'), none: of('none'), roles: views };
    });
    resources.push({
      name: r.name,
      plural: r.plural,
      storage: r.table ? { kind: 'table', table: qualifiedName(r.table), adopted: r.adopt, chunks: r.file ? qualifiedName(r.file.chunks.table) : null } : { kind: 'caller' },
      parent: r.parent ?? null,
      retention: 'retention' in r && r.retention ? { after: r.retention.after, from: r.retention.from.name, then: r.retention.then } : null,
      fields,
      purposes: input.facts ? input.facts.purposes.filter((p) => p.resource === r.name) : null,
    });
  }
  const from = new Date(input.now.getTime() - input.days * 86_400_000);
  return {
    title: 'Record of processing activities (GDPR Art. 30)',
    generatedAt: input.now.toISOString(),
    policy: { version: policy.version, description: documentOf(policy).description ?? null },
    window: input.facts ? { days: input.days, from: from.toISOString(), to: input.now.toISOString() } : null,
    resources,
    exports: input.facts?.exports ?? null,
    security: securityOf(policy, input),
    limits: limitsOf(input, resources.some((r) => r.retention !== null)),
  };
}

function securityOf(policy: Policy, input: InventoryInputs): SecurityMeasures {
  const masking = new Map<string, string[]>();
  for (const [type, resource] of policy.resources) {
    for (const [field, mask] of resource.masks) masking.set(mask.name, [...(masking.get(mask.name) ?? []), `${type}.${field}`]);
  }
  const readBudgets = [...policy.readBudgets.entries()].flatMap(([resource, byRole]) =>
    [...byRole.entries()].flatMap(([role, b]) => (b ? [{ role, resource, limit: b.limit, window: b.window, onExceed: b.onExceed }] : [])),
  );
  const accessRequests = [...policy.requestRules.entries()].flatMap(([role, rules]) =>
    rules.map((r) => ({ role, resource: r.subject, fields: [...r.fields], approvers: [...r.approverRoles, ...r.approverFields.map((f) => `$record.${f}`)], maxMinutes: r.maxMinutes, breakGlass: r.breakGlass })),
  );
  const disablers = [...policy.roles.entries()].filter(([, rules]) => rules.some((r) => !r.inverted && r.subject === 'Principal' && (r.action === 'update' || r.action === 'manage'))).map(([role]) => role);
  const f = input.facts;
  return {
    masking: [...masking.entries()].map(([strategy, fields]) => ({ strategy, fields: fields.sort() })).sort((a, b) => a.strategy.localeCompare(b.strategy)),
    auditTrail: f ? { appendOnly: true, hashChained: true, lastCheckpoint: f.lastCheckpoint, lastVerification: f.lastVerification } : null,
    readBudgets: readBudgets.sort((a, b) => a.role.localeCompare(b.role) || a.resource.localeCompare(b.resource)),
    accessRequests: accessRequests.sort((a, b) => a.role.localeCompare(b.role) || a.resource.localeCompare(b.resource)),
    accessRequestEvents: f?.accessRequests ?? null,
    principalDisabling: { roles: disablers.sort(), disabledNow: f ? f.disabledPeople : null },
    rateLimit: input.rateLimit && input.rateLimit.max > 0 ? { perClient: input.rateLimit.max, windowMs: input.rateLimit.windowMs } : null,
  };
}

function limitsOf(input: InventoryInputs, retentionDeclared: boolean): string[] {
  const limits = [
    "Who sees what is decided by the policy engine on representative records, as `npm run policy -- check` does: a grant that holds on some records only (assigned staff, a token's specialty) is marked conditional, with its condition in words.",
    'Purposes are what callers declared in the X-Purpose header of requests that showed data; requests without one are counted under "none declared". The service records them, it does not check them.',
  ];
  if (!retentionDeclared) limits.push('No resource declares its retention in the policy: records are kept until someone deletes or erases them.');
  if (!input.facts) limits.push('The audit trail was not read (no DATABASE_URL): purposes, exports and the state of the chain are missing.');
  return limits;
}
