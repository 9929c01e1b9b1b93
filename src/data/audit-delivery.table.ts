import type { ColumnType } from 'kysely';

/** `audit_delivery`: per SIEM sink, the chain position of the last event it acknowledged. */
export interface AuditDeliveryTable {
  sink: string;
  lastSeq: ColumnType<string, string | undefined, string>;
  updatedAt: ColumnType<Date, never, Date>;
  lastError: string | null;
}
