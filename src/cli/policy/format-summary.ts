import { recordsPhrase } from './describe-set.js';
import type { FieldSummary, PolicySummary, ResourceSummary, RoleSummary } from './summarize.js';

/** One field in words: "masked (digits); clear when assignees contains you". */
export function fieldPhrase(f: FieldSummary): string {
  return f.states.map((s) => (s.when ? `${s.state} when ${s.when.join(', or ')}` : s.state)).join('; ');
}

function resourceLines(r: ResourceSummary): string[] {
  const lines = [`  ${r.type}`];
  lines.push(`    sees       ${recordsPhrase(r.records)}`);
  if (r.budget === 'unlimited') lines.push(`    budget     unlimited (its readBudget counts no ${r.type}, or it has none)`);
  else if (r.budget) lines.push(`    budget     ${r.budget.limit} ${r.budget.plural} per ${r.budget.window}, then ${r.budget.onExceed}`);
  if (r.fields.length > 0) {
    const width = Math.max(...r.fields.map((f) => f.field.length));
    lines.push('    fields     (on a record it sees)');
    for (const f of r.fields) lines.push(`      ${f.field.padEnd(width)}  ${fieldPhrase(f)}`);
  }
  const can = r.actions.map((a) => {
    const detail = [a.fields === 'all' ? '' : `fields ${a.fields.join(', ')}`, a.when ? recordsPhrase(a.when) : '']
      .filter(Boolean)
      .join('; ');
    return detail ? `${a.action} (${detail})` : a.action;
  });
  lines.push(`    can        ${can.length > 0 ? can.join(', ') : 'nothing beyond reading'}`);
  // Group denied actions by reason, since one `cannot` rule often covers several.
  const byReason = new Map<string, string[]>();
  for (const d of r.denied) byReason.set(d.reason ?? 'no rule grants it', [...(byReason.get(d.reason ?? 'no rule grants it') ?? []), d.action]);
  for (const [reason, actions] of byReason) lines.push(`    cannot     ${actions.join(', ')}: ${reason}`);
  return lines;
}

function roleLines(role: RoleSummary): string[] {
  const lines = [`role ${role.role}${role.description ? ` — ${role.description}` : ''}`];
  const indirect = role.inheritsAll.filter((r) => !role.inherits.includes(r));
  lines.push(
    `  inherits   ${role.inherits.length > 0 ? role.inherits.join(', ') : '(nothing)'}${indirect.length > 0 ? ` (and through them ${indirect.join(', ')})` : ''}`,
  );
  for (const r of role.resources) {
    const nothing = r.records?.length === 0 && r.actions.length === 0;
    if (nothing) lines.push(`  ${r.type}: no access`);
    else lines.push(...resourceLines(r));
  }
  return lines;
}

export function formatSummary(s: PolicySummary): string[] {
  const lines = [`policy     ${s.file}`, `version    sha256:${s.version}`, 'resources'];
  for (const r of s.resources) {
    const fields = r.fields.map((f) => (f.mask ? `${f.field} (mask ${f.mask})` : f.field));
    lines.push(`  ${r.type}: ${fields.join(', ')}`);
  }
  lines.push(`roles      ${s.roles.map((r) => r.role).join(', ')} (any other role: no access)`);
  for (const role of s.roles) lines.push('', ...roleLines(role));
  return lines;
}
