import { isDeepStrictEqual } from 'node:util';
import { buildAbility, subjectOf } from '../../policy/ability.js';
import { canSee, permittedFields, renderRecord } from '../../policy/field-access.js';
import type { Policy } from '../../policy/load-policy.js';
import type { Action } from '../../policy/policy-document.js';
import { principalFor } from './principal.js';
import type { PolicyTestCase } from './test-cases.js';

export interface CaseResult {
  name: string;
  passed: boolean;
  /** What differed from the expectation, one line each. */
  failures: string[];
}

interface Outcome {
  decision: 'allow' | 'deny';
  reason: string | null;
  rendered?: Record<string, unknown>;
  masked?: string[];
  withheld?: string[];
}

/**
 * Decides a case the way the service does: a read is allowed when the record exists for
 * the caller; update and delete need that too (the service answers 404 otherwise);
 * export is a right on the whole type; listed `fields` must each be writable.
 */
function decide(policy: Policy, c: PolicyTestCase): Outcome {
  const resource = policy.resources.get(c.resource);
  if (!resource) return { decision: 'deny', reason: `the policy declares no resource type ${c.resource}` };
  const ability = buildAbility(policy, principalFor(c.principal.sub, c.principal.roles, c.principal.claims));
  const subject = subjectOf(c.resource, c.record);
  const deny = (reason: string | null): Outcome => ({ decision: 'deny', reason });
  if (c.action === 'read') {
    if (!canSee(ability, c.resource, c.record)) return deny('the record does not exist for the caller (404)');
    const { values, access } = renderRecord(ability, policy, c.resource, c.record);
    // A field missing from the sample record is simply not part of the rendered object.
    const rendered = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    return { decision: 'allow', reason: null, rendered, masked: access.masked, withheld: access.withheld };
  }
  if ((c.action === 'update' || c.action === 'delete') && !canSee(ability, c.resource, c.record)) {
    return deny('the record does not exist for the caller (404)');
  }
  const target = c.action === 'export' ? c.resource : subject;
  if (!ability.can(c.action, target)) return deny(ability.relevantRuleFor(c.action, target)?.reason ?? null);
  if (c.fields) {
    const allowed = new Set(permittedFields(ability, resource, c.action as Action, c.resource, c.record));
    const refused = c.fields.filter((f) => !allowed.has(f));
    if (refused.length > 0) return deny(`may not ${c.action} fields ${refused.join(', ')}`);
  }
  return { decision: 'allow', reason: null };
}

const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
const sorted = (xs: string[]) => [...xs].sort();

export function runCase(policy: Policy, c: PolicyTestCase): CaseResult {
  const got = decide(policy, c);
  const failures: string[] = [];
  const want = c.expect;
  if (got.decision !== want.decision) {
    failures.push(`decision: expected ${want.decision}, got ${got.decision}${got.reason ? ` (${got.reason})` : ''}`);
  }
  if (want.reason !== undefined && got.reason !== want.reason) {
    failures.push(`reason: expected ${show(want.reason)}, got ${show(got.reason ?? undefined)}`);
  }
  if (got.decision === 'allow') {
    if (want.rendered) {
      const keys = [...new Set([...Object.keys(want.rendered), ...Object.keys(got.rendered ?? {})])];
      for (const k of keys) {
        const [w, g] = [want.rendered[k], got.rendered?.[k]];
        if (!isDeepStrictEqual(w, g)) failures.push(`rendered.${k}: expected ${show(w)}, got ${show(g)}`);
      }
    }
    for (const list of ['masked', 'withheld'] as const) {
      const [w, g] = [want[list], got[list]];
      if (w && !isDeepStrictEqual(sorted(w), sorted(g ?? []))) failures.push(`${list}: expected [${sorted(w).join(', ')}], got [${sorted(g ?? []).join(', ')}]`);
    }
  }
  return { name: c.name, passed: failures.length === 0, failures };
}
