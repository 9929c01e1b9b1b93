import { createHash } from 'node:crypto';
import type { NewAuditEventRow } from '../data/audit-event.table.js';

/** prev_hash of the first row of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Key of the transaction-level advisory lock that serializes appends to the one chain.
 * Every instance takes the same lock, so the chain stays linear with any number of
 * writers; seq is assigned under it, so positions commit in order.
 */
export const CHAIN_LOCK_KEY = 4_242_000_001;

/** The row content the hash covers, in a fixed order: everything but `hash` itself. */
export type ChainedContent = Omit<NewAuditEventRow, 'hash' | 'details' | 'occurredAt'> & {
  occurredAt: Date;
  details: Record<string, unknown> | null;
};

/** JSON with object keys sorted at every depth, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    // Lists of strings (fields, roles, ids: most of every row) print as JSON prints them.
    if (value.every((item) => typeof item === 'string')) return JSON.stringify(value);
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The hashed content of a row as an object: the canonical form sorts these keys. */
export function contentObject(row: ChainedContent): Record<string, unknown> {
  return {
    seq: String(row.seq),
    eventId: row.eventId,
    occurredAt: row.occurredAt.toISOString(),
    actorSub: row.actorSub ?? null,
    actorRoles: row.actorRoles,
    actorTokenId: row.actorTokenId ?? null,
    channel: row.channel,
    action: row.action,
    resourceType: row.resourceType,
    resourceIds: row.resourceIds,
    fieldsClear: row.fieldsClear,
    fieldsMasked: row.fieldsMasked,
    fieldsWithheld: row.fieldsWithheld,
    fieldsWritten: row.fieldsWritten,
    outcome: row.outcome,
    reason: row.reason ?? null,
    requestId: row.requestId ?? null,
    purpose: row.purpose ?? null,
    clientIp: row.clientIp ?? null,
    userAgent: row.userAgent ?? null,
    policyVersion: row.policyVersion,
    details: row.details ?? null,
    prevHash: row.prevHash,
  };
}

// The top-level keys in canonical (sorted) order with their JSON prefixes, computed once:
// every request hashes one row, so contentOf skips canonicalJson's per-call key sort.
const SORTED_KEYS = Object.keys(contentObject({ occurredAt: new Date(0) } as ChainedContent)).sort();
const KEY_PREFIXES = SORTED_KEYS.map((key) => `${JSON.stringify(key)}:`);

/** A row's content before the chain gives it a position: everything but seq and prevHash. */
export type PendingContent = Omit<ChainedContent, 'seq' | 'prevHash'>;

/**
 * The hashed text of a row, cut where its chain position goes: the content is
 * `a + "prevHash" + b + "seq" + c` (both values as JSON strings, which for a hex hash
 * and a decimal seq is the value in double quotes). The writer sends the pieces to the
 * database, which fills in the position under the chain lock (migration T2200).
 */
export function contentSegments(row: PendingContent): [string, string, string] {
  return segmentsOf(pendingContentObject(row));
}

/** contentObject of a row not yet in the chain: its position left empty. */
export const pendingContentObject = (row: PendingContent): Record<string, unknown> => contentObject({ ...row, seq: '', prevHash: '' });

/** contentSegments of a row already made into its content object (pendingContentObject). */
export function segmentsOf(values: Record<string, unknown>): [string, string, string] {
  const segments: string[] = [];
  let out = '{';
  let first = true;
  for (let i = 0; i < SORTED_KEYS.length; i++) {
    const key = SORTED_KEYS[i]!;
    const value = values[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}${KEY_PREFIXES[i]}`;
    first = false;
    if (key === 'prevHash' || key === 'seq') {
      segments.push(out);
      out = '';
    } else {
      out += canonicalJson(value);
    }
  }
  return [segments[0]!, segments[1]!, `${out}}`];
}

/** canonicalJson(contentObject(row)), the text the chain hash covers, built directly. */
export function contentOf(row: ChainedContent): string {
  const [a, b, c] = contentSegments(row);
  return `${a}${JSON.stringify(row.prevHash)}${b}${JSON.stringify(String(row.seq))}${c}`;
}

/** hash = sha256(prev_hash || canonical JSON of the row). */
export const chainHash = (row: ChainedContent): string =>
  createHash('sha256').update(row.prevHash).update(contentOf(row)).digest('hex');
