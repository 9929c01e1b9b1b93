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
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
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

/** canonicalJson(contentObject(row)), the text the chain hash covers, built directly. */
export function contentOf(row: ChainedContent): string {
  const values = contentObject(row);
  let out = '';
  for (let i = 0; i < SORTED_KEYS.length; i++) {
    const value = values[SORTED_KEYS[i]!];
    if (value === undefined) continue;
    out += `${out ? ',' : ''}${KEY_PREFIXES[i]}${canonicalJson(value)}`;
  }
  return `{${out}}`;
}

/** hash = sha256(prev_hash || canonical JSON of the row). */
export const chainHash = (row: ChainedContent): string =>
  createHash('sha256').update(row.prevHash).update(contentOf(row)).digest('hex');
