import { sql, type SqlBool } from 'kysely';
import { RECORD } from '../data/record.repository.js';
import type { SqlFilter } from '../data/policy-sql.js';
import type { PurposeModel, ResourceModel } from '../model/model.js';
import type { FieldDecision, RenderedRecord } from '../policy/field-access.js';
import type { RequestContext } from './request-context.js';

/**
 * Consent, enforced where data is read. A stored resource may declare purposes
 * (`purposes: { marketing: { optOut: marketingOptOut, contact: [...] } }`); a request
 * that declares one (X-Purpose) never receives the purpose's contact fields of a record
 * whose subject did not consent, on any door: those fields are withheld and named, with
 * the reason, in the record's access summary and in the audit row. The consent field is
 * read with the record whatever the caller may see of it: rendering decides, the caller's
 * rules still decide whether they see the field itself.
 */

/**
 * Whether the X-Purpose text names `purpose` as a word of its own: anywhere, in any case,
 * bounded by anything but a letter or digit (`marketing`, `Marketing: spring newsletter`,
 * `ticket=42; purpose=marketing`, `marketing-spring`, `support, marketing` when two headers
 * were joined). Any mention counts: a consent check fails closed, never open on a spelling.
 */
export function namesPurpose(text: string | null | undefined, purpose: string): boolean {
  if (!text) return false;
  const t = text.toLowerCase();
  for (let at = t.indexOf(purpose); at >= 0; at = t.indexOf(purpose, at + 1)) {
    const before = at === 0 ? '' : t[at - 1]!;
    const after = t[at + purpose.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
  }
  return false;
}

/** The purpose of `r` this request declares, if `r` declares it (the first of `r`'s the text names). */
export function purposeOf(ctx: Pick<RequestContext, 'audit'>, r: Pick<ResourceModel, 'purposes'> | undefined): PurposeModel | undefined {
  if (!r?.purposes || !ctx.audit.purpose) return undefined;
  for (const p of r.purposes.values()) if (namesPurpose(ctx.audit.purpose, p.name)) return p;
  return undefined;
}

/** Whether the subject of `record` consented to `p`: optOut not true, or optIn true. */
export function consented(p: PurposeModel, record: Record<string, unknown>): boolean {
  const value = record[p.consent.field.name];
  return p.consent.kind === 'optOut' ? value !== true : value === true;
}

/** SQL over the alias RECORD: records whose subject consented to `p` (or, `false`, did not). */
export function consentFilter(p: PurposeModel, wanted = true): SqlFilter {
  const column = sql.ref(`${RECORD}.${p.consent.field.column}`);
  const yes = p.consent.kind === 'optOut' ? sql<SqlBool>`${column} IS NOT TRUE` : sql<SqlBool>`${column} IS TRUE`;
  return () => (wanted ? yes : sql<SqlBool>`NOT (${yes})`);
}

/** Why a purpose's contact fields were withheld, as the caller reads it. */
export const consentReason = (p: Pick<PurposeModel, 'name' | 'consent'>) =>
  p.consent.kind === 'optOut' ? `The subject opted out of ${p.name}.` : `The subject has not consented to ${p.name}.`;

/** Decisions are shared between records: each is turned into its withholding form once. */
const withheldMemo = new WeakMap<FieldDecision, Map<PurposeModel, FieldDecision>>();

function withholding(decision: FieldDecision, p: PurposeModel): FieldDecision {
  let byPurpose = withheldMemo.get(decision);
  if (!byPurpose) withheldMemo.set(decision, (byPurpose = new Map()));
  let result = byPurpose.get(p);
  if (!result) {
    const shown = new Set([...decision.clear, ...decision.masked]);
    const fields = p.contact.filter((f) => shown.has(f));
    const hide = (list: readonly string[]) => list.filter((f) => !fields.includes(f));
    result =
      fields.length === 0
        ? decision
        : Object.freeze({
            clear: hide(decision.clear),
            masked: hide(decision.masked),
            withheld: [...decision.withheld, ...fields],
            ...(decision.revealed ? { revealed: hide(decision.revealed) } : {}),
            ...(decision.grants ? { grants: decision.grants } : {}),
            optedOut: Object.freeze({ purpose: p.name, fields, reason: consentReason(p) }),
          });
    byPurpose.set(p, result);
  }
  return result;
}

/**
 * The record as rendered, with the declared purpose's contact fields withheld when its
 * subject did not consent (after grants: an access request does not override a no).
 * `record` is the stored record, consent field included.
 */
export function withholdForPurpose(ctx: Pick<RequestContext, 'audit' | 'policy'>, type: string, record: Record<string, unknown>, rendered: RenderedRecord): RenderedRecord {
  const p = purposeOf(ctx, ctx.policy.model.resources.get(type));
  if (!p || consented(p, record)) return rendered;
  const access = withholding(rendered.access, p);
  if (access === rendered.access) return rendered;
  const values = { ...rendered.values };
  for (const f of access.optedOut!.fields) delete values[f];
  return { values, access };
}
