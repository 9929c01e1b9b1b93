import type { ColumnType, Insertable, Selectable } from 'kysely';

/** `audit_events`: append-only; the database refuses UPDATE, DELETE and TRUNCATE. */
export interface AuditEventTable {
  seq: ColumnType<string, string, never>;
  eventId: string;
  occurredAt: Date;
  actorSub: string | null;
  actorRoles: string[];
  actorTokenId: string | null;
  channel: 'rest' | 'graphql' | 'cli';
  action: string;
  resourceType: string;
  resourceIds: string[];
  fieldsClear: string[];
  fieldsMasked: string[];
  fieldsWithheld: string[];
  fieldsWritten: string[];
  outcome: 'allowed' | 'denied';
  reason: string | null;
  requestId: string | null;
  purpose: string | null;
  clientIp: string | null;
  userAgent: string | null;
  policyVersion: string;
  details: ColumnType<Record<string, unknown> | null, string | null, never>;
  prevHash: string;
  hash: string;
}

export type AuditEventRow = Selectable<AuditEventTable>;
export type NewAuditEventRow = Insertable<AuditEventTable>;
