import { permittedFieldsOf } from '@casl/ability/extra';
import { AppError } from '../errors.js';
import { subjectOf, type AppAbility } from './ability.js';
import type { Action } from './policy-document.js';
import type { Policy, ResourcePolicy } from './load-policy.js';

/** How each field of one record reaches one caller. */
export interface FieldDecision {
  clear: string[];
  masked: string[];
  withheld: string[];
  /** Fields shown in clear only because an approved access request (a grant) reveals them. */
  revealed?: readonly string[];
  /** The ids of the grants that revealed them, for the audit row. */
  grants?: readonly string[];
  /** Fields withheld because the subject did not consent to the purpose the request declared. */
  optedOut?: ConsentWithheld;
}

/** Contact fields a declared purpose withheld, the purpose, and why (core/purpose-consent.ts). */
export type ConsentWithheld = Readonly<{ purpose: string; fields: readonly string[]; reason: string }>;

/** A record as the caller may see it: withheld fields absent, masked ones masked. */
export interface RenderedRecord {
  values: Record<string, unknown>;
  access: FieldDecision;
}

const union = (lists: string[][]) => [...new Set(lists.flat())];

export function resourceOf(policy: Policy, type: string): ResourcePolicy {
  const resource = policy.resources.get(type);
  if (!resource) throw new AppError('INTERNAL', `The policy does not declare resource type ${type}.`);
  return resource;
}

/** Fields the ability grants for `action` on this record (rules without fields grant all). */
export function permittedFields(
  ability: AppAbility,
  resource: ResourcePolicy,
  action: Action,
  type: string,
  record: object,
): string[] {
  // A field one of the caller's roles grants is granted (roles combine as a union).
  const target = subjectOf(type, record);
  return union(ability.parts.map((part) => permittedFieldsOf(part, action, target, { fieldsFrom: (rule) => rule.fields ?? [...resource.fields] })));
}

/** Fields `action` may reach on some record of the type (conditions not evaluated). */
export function fieldsOnType(ability: AppAbility, resource: ResourcePolicy, action: Action, type: string): string[] {
  return union(ability.parts.map((part) => permittedFieldsOf(part, action, type, { fieldsFrom: (rule) => rule.fields ?? [...resource.fields] })));
}

/** Whether the record exists for the caller: it may read at least some of it. */
export function canSee(ability: AppAbility, type: string, record: object): boolean {
  const s = subjectOf(type, record);
  return ability.can('read', s) || ability.can('read_masked', s);
}

/** Three-way decision per field: clear beats masked beats withheld. */
export function decideFields(ability: AppAbility, policy: Policy, type: string, record: object): FieldDecision {
  const memo = decisionsOf(ability, policy, type);
  // A rule's conditions look at the record's fields only (its type already chose the
  // rule), so the record is checked as it is, without a typed copy.
  let key = '';
  for (const rule of memo.conditional) key += rule.matchesConditions(record) ? '1' : '0';
  let decision = memo.byMatches.get(key);
  if (!decision) {
    decision = computeDecision(ability, resourceOf(policy, type), type, subjectOf(type, record));
    memo.byMatches.set(key, decision);
  }
  return decision;
}

/**
 * A field decision depends on the record only through which conditional rules match it
 * (CASL's permittedFieldsOf toggles each matching rule's fields in order). So decisions
 * are computed once per ability, type and pattern of matching rules, not per record: a
 * list of 50 costs 50 condition checks, not 50 full field computations per role.
 */
interface DecisionMemo {
  /** The rules with conditions that can grant or take away a read or masked read of the type. */
  conditional: Array<{ matchesConditions(subject: unknown): boolean }>;
  byMatches: Map<string, FieldDecision>;
}

const decisionMemos = new WeakMap<AppAbility, Map<string, DecisionMemo>>();

function decisionsOf(ability: AppAbility, policy: Policy, type: string): DecisionMemo {
  let byType = decisionMemos.get(ability);
  if (!byType) decisionMemos.set(ability, (byType = new Map()));
  // An ability is built from one policy version; the version keeps a memo honest anyway.
  const memoKey = `${policy.version}\u0000${type}`;
  let memo = byType.get(memoKey);
  if (!memo) {
    const rules = ability.parts.flatMap((part) => DECIDING_ACTIONS.flatMap((action) => part.possibleRulesFor(action, type)));
    memo = { conditional: rules.filter((rule) => rule.conditions !== undefined), byMatches: new Map() };
    byType.set(memoKey, memo);
  }
  return memo;
}

const DECIDING_ACTIONS = ['read', 'read_masked'] as const;

function computeDecision(ability: AppAbility, resource: ResourcePolicy, type: string, record: object): FieldDecision {
  const clear = new Set(permittedFields(ability, resource, 'read', type, record));
  const maskable = new Set(permittedFields(ability, resource, 'read_masked', type, record));
  const decision: FieldDecision = { clear: [], masked: [], withheld: [] };
  for (const field of resource.fields) {
    if (clear.has(field)) decision.clear.push(field);
    else if (maskable.has(field) && resource.masks.has(field)) decision.masked.push(field);
    else decision.withheld.push(field);
  }
  // Shared by every record with the same pattern: nobody may change it.
  Object.freeze(decision.clear);
  Object.freeze(decision.masked);
  Object.freeze(decision.withheld);
  return Object.freeze(decision);
}

export type AccessSummary = Readonly<{ masked: readonly string[]; withheld: readonly string[]; revealed?: readonly string[]; optedOut?: ConsentWithheld }>;
const summaries = new WeakMap<FieldDecision, AccessSummary>();

/**
 * What a response says about a record's fields: masked and withheld, `revealed` where a
 * grant showed fields the rules alone would not, and `optedOut` where a declared purpose
 * withheld contact fields. One object per shared decision.
 */
export function accessSummary(decision: FieldDecision): AccessSummary {
  let summary = summaries.get(decision);
  if (!summary) {
    const revealed = decision.revealed && decision.revealed.length > 0 ? { revealed: decision.revealed } : {};
    const optedOut = decision.optedOut ? { optedOut: decision.optedOut } : {};
    summaries.set(decision, (summary = Object.freeze({ masked: decision.masked, withheld: decision.withheld, ...revealed, ...optedOut })));
  }
  return summary;
}

/** Renders a record for the caller. Withheld fields are omitted, never sent as null. */
export function renderRecord(
  ability: AppAbility,
  policy: Policy,
  type: string,
  record: Record<string, unknown>,
): RenderedRecord {
  const access = decideFields(ability, policy, type, record);
  return { values: rendererOf(access, resourceOf(policy, type))(record), access };
}

type Renderer = (record: Record<string, unknown>) => Record<string, unknown>;
const renderers = new WeakMap<FieldDecision, { resource: ResourcePolicy; render: Renderer }>();

/**
 * The values a decision shows, in one pass: clear fields as they are, then masked ones
 * through their masks (that order is the response's). Records sharing a decision share
 * its renderer, so the field lists and masks are looked up once per pattern, not per
 * record; the masks are those of the policy rendering, as before.
 */
function rendererOf(access: FieldDecision, resource: ResourcePolicy): Renderer {
  const known = renderers.get(access);
  if (known?.resource === resource) return known.render;
  const clear = access.clear;
  const masked = access.masked;
  const masks = masked.map((field) => resource.masks.get(field)!);
  const render: Renderer = (record) => {
    const values: Record<string, unknown> = {};
    for (let i = 0; i < clear.length; i++) values[clear[i]!] = record[clear[i]!];
    for (let i = 0; i < masked.length; i++) values[masked[i]!] = masks[i]!.mask(record[masked[i]!]);
    return values;
  };
  renderers.set(access, { resource, render });
  return render;
}
