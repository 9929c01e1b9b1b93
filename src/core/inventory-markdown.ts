import type { Inventory, InventoryField, InventoryResource, RoleView } from './inventory.js';

/**
 * A table cell: purposes come from a request header, so anything that could break the
 * table or be read as markup (links, HTML, emphasis) is escaped, and lines are joined.
 */
export const cell = (text: string): string =>
  text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`).trim() || ' ';

const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const code = (text: string) => `\`${text.replace(/`/g, '')}\``;
const day = (iso: string) => iso.slice(0, 10);
const list = (roles: RoleView[]) => roles.map((v) => (v.conditional ? `${v.role}¹` : v.role)).join(', ') || '—';
const retention = (r: InventoryResource) => (r.retention === null ? 'not declared' : cell(`${r.retention.after} from ${r.retention.from}, then ${r.retention.then}`));
const storage = (r: InventoryResource) => (r.storage.kind === 'table' ? `${code(r.storage.table)}${r.storage.adopted ? ' (adopted)' : ''}` : 'kept by the caller');

/** The record of processing as a document a person can file: headings, tables, plain words. */
export function inventoryMarkdown(inv: Inventory): string {
  const out: string[] = [
    `# ${inv.title}`,
    '',
    `Generated ${inv.generatedAt} from the policy in force (version ${code(inv.policy.version.slice(0, 12))}).${inv.policy.description ? ` ${cell(inv.policy.description)}` : ''}`,
    '',
    inv.window ? `Figures from the audit trail cover the last ${inv.window.days} days (${day(inv.window.from)} to ${day(inv.window.to)}).` : 'The audit trail was not read: purposes, exports and the audit chain are not shown.',
    '',
    '## The personal data held',
    '',
    table(['Resource', 'Stored in', 'Belongs to', 'Personal fields', 'Retention'], inv.resources.map((r) => [
      r.name, storage(r), r.parent ? `${r.parent.resource} (${code(r.parent.field)})` : '—', String(r.fields.filter((f) => f.class !== 'system').length), retention(r),
    ])),
  ];
  for (const r of inv.resources) out.push('', ...resourceSection(r, inv));
  out.push('', ...exportsSection(inv), '', ...securitySection(inv), '', '## About this document', '', ...inv.limits.map((l) => `- ${l}`), '');
  return out.join('\n');
}

function resourceSection(r: InventoryResource, inv: Inventory): string[] {
  const conditional = r.fields.flatMap((f) => f.roles.filter((v) => v.conditional).map((v) => `- ${f.name}, ${v.role}: ${cell(v.text)}`));
  const lines = [
    `## ${r.name}`,
    '',
    (r.storage.kind === 'table'
      ? `Stored in ${storage(r)}${r.storage.chunks ? `; file contents in ${code(r.storage.chunks)}` : ''}.`
      : 'Kept by the caller in its own system: fieldguard stores none of it, its records reach the service in decisions requests.') +
      `${r.parent ? ` Each record belongs to a ${r.parent.resource} (${code(r.parent.field)}) and exists for a reader only where that one does.` : ''}` +
      ` Retention: ${retention(r)}.`,
    '',
    table(['Field', 'Data class', 'Stored in', 'Mask', 'Clear', 'Masked', 'Not at all'], r.fields.map((f: InventoryField) => [
      code(f.name), f.class, f.storedIn ? code(f.storedIn) : '—', f.mask ? code(f.mask) : '—',
      list(f.roles.filter((v) => v.grant === 'clear')), list(f.roles.filter((v) => v.grant === 'masked')), list(f.roles.filter((v) => v.grant === 'none')),
    ])),
  ];
  if (conditional.length > 0) lines.push('', '¹ On some records only:', '', ...conditional);
  if (r.purposes) {
    lines.push('', `### Purposes declared (last ${inv.window?.days ?? 0} days)`, '');
    lines.push(r.purposes.length === 0 ? 'No request showed these records in the window.' : table(['Purpose', 'Requests', 'Last'], r.purposes.map((p) => [p.purpose === null ? '*none declared*' : cell(p.purpose), String(p.events), day(p.lastAt)])));
  }
  return lines;
}

function exportsSection(inv: Inventory): string[] {
  const lines = [`## Exports and their recipients${inv.window ? ` (last ${inv.window.days} days)` : ''}`, ''];
  if (!inv.exports) return [...lines, 'Not read: the audit trail was not available.'];
  if (inv.exports.length === 0) return [...lines, 'Nobody exported data in the window.'];
  return [...lines, table(['Recipient', 'Resource', 'Exports', 'Records', 'Last'], inv.exports.map((e) => [code(e.recipient), e.resource, String(e.exports), String(e.records), day(e.lastAt)]))];
}

function securitySection(inv: Inventory): string[] {
  const s = inv.security;
  const lines = ['## Security measures in force', '', '### Masking', ''];
  lines.push(s.masking.length === 0 ? 'No field is masked.' : table(['Strategy', 'Fields'], s.masking.map((m) => [code(m.strategy), m.fields.map(code).join(', ')])));
  lines.push('', '### Audit trail', '', 'Every access decision is recorded in an append-only, hash-chained trail (ids and field names, never values); a request whose record cannot be written is refused. The trail itself holds personal data of your staff: who made each request (their subject), from which IP address and user agent.');
  if (s.auditTrail) {
    const cp = s.auditTrail.lastCheckpoint;
    const vf = s.auditTrail.lastVerification;
    lines.push('', `- Last checkpoint: ${cp ? `position ${cp.seq}, ${cp.at}` : 'none recorded'}`);
    lines.push(`- Last verification: ${vf ? `${vf.at}, ${vf.ok === true ? 'intact' : vf.ok === false ? 'BROKEN' : 'result not recorded'}` : 'none recorded'}`);
  }
  lines.push('', '### Read budgets', '');
  lines.push(s.readBudgets.length === 0 ? 'No role has a read budget.' : table(['Role', 'Resource', 'Records', 'Window', 'Beyond it'], s.readBudgets.map((b) => [b.role, b.resource, String(b.limit), b.window, b.onExceed === 'block' ? 'refused' : 'alert only'])));
  lines.push('', '### Asking to see more, and break-glass', '');
  lines.push(s.accessRequests.length === 0 ? 'No role may ask to see more.' : table(['Role', 'Resource', 'Fields', 'Approved by', 'At most'], s.accessRequests.map((a) => [
    a.role, a.resource, a.fields.map(code).join(', '), a.breakGlass ? '**break-glass** (no approver, flagged)' : a.approvers.map(code).join(', '), `${a.maxMinutes} min`,
  ])));
  if (s.accessRequestEvents && s.accessRequestEvents.length > 0) lines.push('', `In the window: ${s.accessRequestEvents.map((e) => `${e.events} ${code(e.action)}`).join(', ')}.`);
  lines.push('', '### Disabling people', '', `Roles that may disable a person: ${s.principalDisabling.roles.join(', ') || 'none'}. A disabled person's tokens are refused from their next request, on every instance.`);
  if (s.principalDisabling.disabledNow !== null) lines.push(`People disabled now: ${s.principalDisabling.disabledNow}.`);
  lines.push('', '### Rate limits', '', s.rateLimit ? `${s.rateLimit.perClient} requests per client address per ${s.rateLimit.windowMs / 1000} s.` : 'Not known here (the command line does not run the service) or switched off.');
  return lines;
}
