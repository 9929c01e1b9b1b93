import type { PolicyReplay } from '../../core/policy-replay.service.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const counts = (x: { reads: number; records: number }) => `${plural(x.reads, 'read')}, ${plural(x.records, 'record')}`;
const subject = (resource: string, field: string | null) => (field === null ? resource : `${resource}.${field}`);

/** Lines in columns: each row's cells padded to the widest cell of its column. */
function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`);
}

/** The replay as a person reads it: what changes per role and field, who loses what, what could not be known. */
export function formatReplay(file: string, r: PolicyReplay): string[] {
  const lines = [
    `in force   sha256:${r.policy.inForce.slice(0, 12)}`,
    `candidate  ${file}  sha256:${r.policy.candidate.slice(0, 12)}`,
    `window     ${plural(r.window.days, 'day')} (${r.window.from} .. ${r.window.to}): ${plural(r.scanned.events, 'event')}, ${plural(r.totals.reads, 'record read')}${r.scanned.truncated ? ' (stopped at the cap)' : ''}`,
    `result     ${r.totals.changed} changed, ${r.totals.unchanged} unchanged, ${r.totals.recordGone} unknown (record gone), ${r.totals.undecided} undecided (token claims)`,
    '',
    'changes (per role and field: reads, distinct records)',
  ];
  if (r.changes.length === 0) lines.push('  none: every replayed read would be decided as it was');
  else lines.push(...columns(r.changes.map((c) => [c.roles, subject(c.resource, c.field), c.change, counts(c)])));
  lines.push('', 'people who would lose a field they read');
  if (r.losses.length === 0) lines.push('  none');
  else lines.push(...columns(r.losses.map((l) => [l.sub, subject(l.resource, l.field), l.change, counts(l)])));
  if (r.unknown.length > 0) lines.push('', 'not decided', ...columns(r.unknown.map((u) => [u.roles, subject(u.resource, u.field), u.reason, counts(u)])));
  if (r.notCompared.length > 0) lines.push('', 'not compared', ...columns(r.notCompared.map((n) => [subject(n.resource, n.field), n.reason])));
  lines.push('', 'what a replay cannot know', ...r.limits.map((l) => `  - ${l}`));
  return lines;
}
