import { createHash } from 'node:crypto';
import type { SubjectAccessReport } from '../core/subject-access.service.js';
import type { AnnexAccess } from '../core/subject-access-annex.js';
import type { RenderedRecord } from '../policy/field-access.js';

/**
 * The access report as a page a person can print and hand to the customer: one file,
 * no scripts, no images, nothing loaded from anywhere; every value escaped. Its only
 * style sheet is inline, allowed by its hash in the page's Content-Security-Policy.
 */

const STYLE = `
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #333; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.field { width: 12rem; font-weight: 600; }
.meta, .note { color: #444; font-size: .9rem; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
@page { margin: 1.5cm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  tr, .record { break-inside: avoid; }
  th { background: none; }
}
`;

/** The Content-Security-Policy of the page: nothing but its own inline style sheet. */
export const ACCESS_REPORT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: every character that could open markup or end an attribute, escaped. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const e = (value: unknown): string => escapeHtml(String(value));

/** A field value as readable text (a file as its metadata, a list joined). */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map(String).join(', ');
  if (typeof value === 'object') {
    const file = value as { mediaType?: unknown; sizeBytes?: unknown; sha256?: unknown };
    if ('sha256' in file) return `file: ${String(file.mediaType)}, ${String(file.sizeBytes)} bytes, SHA-256 ${String(file.sha256)}`;
    return JSON.stringify(value);
  }
  return String(value);
}

const list = (items: readonly string[]) => (items.length === 0 ? '—' : items.map(e).join(', '));

function recordTable(record: RenderedRecord): string {
  const rows = Object.entries(record.values).map(([field, value]) => `<tr><td class="field">${e(field)}</td><td>${e(valueText(value))}</td></tr>`);
  const notes: string[] = [];
  if (record.access.masked.length > 0) notes.push(`Shown masked: ${list(record.access.masked)}.`);
  if (record.access.withheld.length > 0) notes.push(`Not shown to the person who prepared this report: ${list(record.access.withheld)}.`);
  const note = notes.length > 0 ? `<p class="note">${notes.join(' ')}</p>` : '';
  return `<div class="record"><table><tbody>${rows.join('')}</tbody></table>${note}</div>`;
}

/** The trail's actions in words a customer reads; any other is shown as recorded. */
const ACTION_WORDS: Readonly<Record<string, string>> = {
  read: 'opened the record',
  list: 'saw it in a list',
  export: 'exported it to a file',
  download: 'opened the file',
  create: 'created it',
  update: 'changed it',
  delete: 'deleted it',
  upload: 'stored a file',
  preview: 'previewed it as another role would see it',
  'subject.access_report': 'prepared a report like this one',
};

function accessRow(a: AnnexAccess): string {
  const what = `${e(ACTION_WORDS[a.action] ?? a.action)}${a.outcome === 'denied' ? ' (refused, nothing shown)' : ''}`;
  const file = a.export ? `<br><span class="note">export ${e(a.export.format ?? '')}, ${e(a.export.status)}${a.export.sha256 ? `, file SHA-256 <code>${e(a.export.sha256)}</code>` : ''}</span>` : '';
  return `<tr><td>${e(a.occurredAt)}</td><td>${e(a.who.sub ?? 'unknown')}</td><td>${list(a.who.roles)}</td><td>${e(a.channel)}</td><td>${e(a.purpose ?? '—')}</td>`
    + `<td>${what}${file}</td><td>${e(a.resource)} <code>${list(a.recordIds)}</code></td><td>${list(a.fields.clear)}</td><td>${list(a.fields.masked)}</td><td>${list(a.fields.withheld)}</td></tr>`;
}

/** The whole page. */
export function accessReportHtml(report: SubjectAccessReport): string {
  const { subject, seenBy } = report;
  const children = report.children.map((c) => {
    const body = !c.visible
      ? '<p class="note">The person who prepared this report may not see records of this kind.</p>'
      : c.items.length === 0
        ? '<p class="note">None.</p>'
        : c.items.map(recordTable).join('');
    return `<h3>${e(c.plural)} (${c.items.length}${c.truncated ? '+' : ''})</h3>${body}`;
  });
  const people = seenBy.people.length === 0
    ? '<p class="note">Nobody has been shown this data.</p>'
    : `<table><thead><tr><th>Person</th><th>Roles</th><th>Times</th><th>First</th><th>Last</th></tr></thead><tbody>${seenBy.people
        .map((p) => `<tr><td>${e(p.sub)}</td><td>${list(p.roles)}</td><td>${e(p.events)}</td><td>${e(p.firstSeen)}</td><td>${e(p.lastSeen)}</td></tr>`)
        .join('')}</tbody></table>`;
  const accesses = `<table><thead><tr><th>When (UTC)</th><th>Who</th><th>Roles</th><th>Channel</th><th>Purpose</th><th>Action</th><th>Records</th><th>Shown in clear</th><th>Shown masked</th><th>Withheld</th></tr></thead><tbody>${seenBy.accesses.map(accessRow).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Personal data report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Personal data report</h1>
<p class="meta">About ${e(subject.resource)} <code>${e(subject.id)}</code>. Prepared ${e(report.generatedAt)} by ${e(report.generatedBy.sub)}. Policy version <code>${e(report.policyVersion)}</code>.</p>
</header>
<section>
<h2>What we hold about you</h2>
<h3>${e(subject.resource)}</h3>
${recordTable(report.record)}
${children.join('\n')}
</section>
<section>
<h2>Who has seen your data</h2>
<h3>People</h3>
${people}
<h3>Every access (${seenBy.accesses.length}${seenBy.truncated ? '+' : ''}), newest first</h3>
${accesses}
</section>
<section>
<h2>About this report</h2>
<ul>${report.limits.map((l) => `<li>${e(l)}</li>`).join('')}</ul>
</section>
</body>
</html>
`;
}
