import type { Migration } from 'kysely';
import * as customersAndAudit from './2026-11-23T1900_customers-and-audit.js';
import * as serviceRole from './2026-11-23T2000_service-role.js';
import * as auditFeedIndexes from './2026-11-23T2010_audit-feed-indexes.js';
import * as auditActorIndex from './2026-11-23T2030_audit-actor-index.js';
import * as customerReads from './2026-11-23T2040_customer-reads.js';
import * as bookings from './2026-11-23T2050_bookings.js';
import * as documents from './2026-11-23T2055_documents.js';
import * as readBudgetFunction from './2026-11-23T2100_read-budget-function.js';
import * as auditAppendFunction from './2026-11-23T2200_audit-append-function.js';
import * as documentChunks from './2026-12-03T1000_document-chunks.js';
import * as cursorKey from './2026-12-03T1600_cursor-key.js';
import * as readBudgetPerResource from './2026-12-03T1800_read-budget-per-resource.js';
import * as principalStatus from './2026-12-03T2100_principal-status.js';
import * as recordFiles from './2026-12-03T2100_record-files.js';
import * as conditionIndexes from './2026-12-03T2110_condition-indexes.js';
import * as accessRequests from './2026-12-03T2200_access-requests.js';
import * as auditDelivery from './2026-12-03T2300_audit-delivery.js';
import * as accessRequestRevoke from './2026-12-04T0000_access-request-revoke.js';
import * as legalHoldsAndErasures from './2026-12-04T0200_legal-holds-and-erasures.js';
import * as auditIndexDiet from './2026-12-04T0300_audit-index-diet.js';

/** Every migration, by name; names sort in the order they must run. */
export const migrations: Record<string, Migration> = {
  '2026-11-23T1900_customers-and-audit': customersAndAudit,
  '2026-11-23T2000_service-role': serviceRole,
  '2026-11-23T2010_audit-feed-indexes': auditFeedIndexes,
  '2026-11-23T2030_audit-actor-index': auditActorIndex,
  '2026-11-23T2040_customer-reads': customerReads,
  '2026-11-23T2050_bookings': bookings,
  '2026-11-23T2055_documents': documents,
  '2026-11-23T2100_read-budget-function': readBudgetFunction,
  '2026-11-23T2200_audit-append-function': auditAppendFunction,
  '2026-12-03T1000_document-chunks': documentChunks,
  '2026-12-03T1600_cursor-key': cursorKey,
  '2026-12-03T1800_read-budget-per-resource': readBudgetPerResource,
  '2026-12-03T2100_principal-status': principalStatus,
  '2026-12-03T2100_record-files': recordFiles,
  '2026-12-03T2110_condition-indexes': conditionIndexes,
  '2026-12-03T2200_access-requests': accessRequests,
  '2026-12-03T2300_audit-delivery': auditDelivery,
  '2026-12-04T0000_access-request-revoke': accessRequestRevoke,
  '2026-12-04T0200_legal-holds-and-erasures': legalHoldsAndErasures,
  '2026-12-04T0300_audit-index-diet': auditIndexDiet,
};
