import type { Principal } from '../auth/principal.js';

/** Who asked, through which door, why: the part of an audit event every request shares. */
export interface AuditContext {
  /** Null when nothing verified could be trusted (a refused credential). */
  principal: Principal | null;
  channel: 'rest' | 'graphql' | 'cli';
  requestId: string;
  /** Free text from the X-Purpose header: why the caller says it needs the data. */
  purpose: string | null;
  clientIp: string | null;
  userAgent: string | null;
  policyVersion: string;
}

/** What one access decision was about and how it went. */
export interface AuditDecision {
  action: string;
  resourceType: string;
  resourceIds: string[];
  fieldsClear?: string[];
  fieldsMasked?: string[];
  fieldsWithheld?: string[];
  fieldsWritten?: string[];
  outcome: 'allowed' | 'denied';
  reason?: string | null;
  /** Structured extras (export ledger, anomaly figures, checkpoints); JSON, never field values. */
  details?: Record<string, unknown> | null;
  /** Access grants that revealed fields of this response: recorded as `details.grants`. */
  grants?: readonly string[];
}

/** An audit event as the feed publishes it: field names, never field values. */
export interface AuditEvent {
  eventId: string;
  occurredAt: string;
  actor: { sub: string | null; roles: string[]; tokenId: string | null };
  channel: string;
  action: string;
  resourceType: string;
  resourceIds: string[];
  fields: { clear: string[]; masked: string[]; withheld: string[]; written: string[] };
  outcome: 'allowed' | 'denied';
  reason: string | null;
  requestId: string | null;
  purpose: string | null;
  clientIp: string | null;
  userAgent: string | null;
  policyVersion: string;
  details: Record<string, unknown> | null;
  /** Position in the tamper-evident chain and the chain hashes. */
  seq: string;
  prevHash: string;
  hash: string;
}
