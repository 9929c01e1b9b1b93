import type { RequestRuleSpec } from './policy-document.js';
import type { PolicyPath } from './source-lines.js';

/** One `mayRequest` entry of a role, checked against the resources and roles it names. */
export interface RequestRule {
  subject: string;
  fields: readonly string[];
  /** Role names that may approve. */
  approverRoles: readonly string[];
  /** Fields of the record naming subjects who may approve (`$record.assignees` -> `assignees`). */
  approverFields: readonly string[];
  maxMinutes: number;
  breakGlass: boolean;
  /** Where it was written, e.g. `roles.agent.mayRequest[0]`. */
  source: string;
}

/** The shortest reason break-glass takes: a sentence, not "x". */
export const BREAK_GLASS_REASON = 20;

const RECORD_FIELD = '$record.';

/** What compiling needs to know of the rest of the policy. */
export interface RequestRuleContext {
  fieldsOf(subject: string): readonly string[] | undefined;
  isRole(name: string): boolean;
  report(path: PolicyPath, message: string): void;
}

export function compileRequestRules(role: string, specs: readonly RequestRuleSpec[], ctx: RequestRuleContext): RequestRule[] {
  return specs.flatMap((spec, i) => {
    const path: PolicyPath = ['roles', role, 'mayRequest', i];
    const fields = ctx.fieldsOf(spec.subject);
    if (!fields) {
      ctx.report([...path, 'subject'], `unknown resource type "${spec.subject}"`);
      return [];
    }
    spec.fields.forEach((f, j) => {
      if (!fields.includes(f)) ctx.report([...path, 'fields', j], `unknown field "${f}" of ${spec.subject}`);
    });
    const approverRoles: string[] = [];
    const approverFields: string[] = [];
    spec.approvers.forEach((a, j) => {
      if (a.startsWith(RECORD_FIELD)) {
        const field = a.slice(RECORD_FIELD.length);
        if (!fields.includes(field)) ctx.report([...path, 'approvers', j], `unknown field "${field}" of ${spec.subject}`);
        else approverFields.push(field);
      } else if (!ctx.isRole(a)) ctx.report([...path, 'approvers', j], `unknown role "${a}" (or write $record.<field> for the people a field names)`);
      else if (a === role) ctx.report([...path, 'approvers', j], 'a role does not approve its own requests: name another role');
      else approverRoles.push(a);
    });
    if (spec.approvers.length === 0 && !spec.breakGlass) ctx.report([...path, 'approvers'], 'name at least one approver, or allow breakGlass');
    return [{ subject: spec.subject, fields: spec.fields, approverRoles, approverFields, maxMinutes: spec.maxMinutes, breakGlass: spec.breakGlass, source: `roles.${role}.mayRequest[${i}]` }];
  });
}

/** The request rules a set of roles holds (a role's own and its parents'). */
export function requestRulesFor(rules: ReadonlyMap<string, readonly RequestRule[]>, roles: readonly string[]): RequestRule[] {
  return [...new Set(roles.flatMap((r) => rules.get(r) ?? []))];
}
