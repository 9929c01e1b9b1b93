import type { AuditEvent } from '../audit-event.js';
import { EXPORT_RECORDS } from '../export-events.js';

/** The OCSF schema version these events follow. */
export const OCSF_VERSION = '1.3.0';

// API Activity (class 6003) in the Application Activity category (6).
const CLASS_UID = 6003;
const CATEGORY_UID = 6;

const ACTIVITIES = {
  create: { id: 1, name: 'Create' },
  read: { id: 2, name: 'Read' },
  update: { id: 3, name: 'Update' },
  delete: { id: 4, name: 'Delete' },
  other: { id: 99, name: 'Other' },
} as const;

/**
 * Our actions onto OCSF's four API verbs: lists and exports are reads of many records.
 * Anything else is Other (99), and then OCSF wants the source's own label as the
 * activity name (`export.completed`), not the caption "Other".
 */
function activityOf(action: string) {
  switch (action) {
    case 'read':
    case 'list':
    case 'export':
    case EXPORT_RECORDS: // the further records of an export
    case 'audience':
    case 'download':
    case 'subject.access_report': // shows the person's records to its caller
      return ACTIVITIES.read;
    case 'upload':
      return ACTIVITIES.create;
    case 'create':
    case 'update':
    case 'delete':
      return ACTIVITIES[action];
    // A decisions `check` reads no data: it answers what the user may do, so it is Other.
    default:
      return ACTIVITIES.other;
  }
}

/** OCSF severity: High (4) for break-glass, Low (2) for a refusal, else Informational (1). */
function severityOf(action: string, allowed: boolean) {
  if (action === BREAK_GLASS) return { severity_id: 4, severity: 'High' };
  return allowed ? { severity_id: 1, severity: 'Informational' } : { severity_id: 2, severity: 'Low' };
}

/** The action of an access granted without an approver (core/access-request.service.ts). */
export const BREAK_GLASS = 'access.break_glass';

/**
 * One audit event as an OCSF API Activity event. Standard attributes carry what OCSF
 * models (who, what, from where, how it went); our extras (field decisions, purpose,
 * policy version, chain position and hashes) go to `unmapped`, as OCSF intends.
 * Absent values are omitted rather than sent as null.
 */
export function toOcsf(event: AuditEvent): Record<string, unknown> {
  const activity = activityOf(event.action);
  const activityName = activity === ACTIVITIES.other ? event.action : activity.name;
  const allowed = event.outcome === 'allowed';
  return {
    class_uid: CLASS_UID,
    class_name: 'API Activity',
    category_uid: CATEGORY_UID,
    category_name: 'Application Activity',
    activity_id: activity.id,
    activity_name: activityName,
    type_uid: CLASS_UID * 100 + activity.id,
    type_name: `API Activity: ${activity.name}`,
    time: Date.parse(event.occurredAt),
    // A refusal is worth a look, not an alert: detection rules raise priority, not us.
    // Break-glass is the exception: someone saw data no approver allowed, by design.
    ...severityOf(event.action, allowed),
    status_id: allowed ? 1 : 2,
    status: allowed ? 'Success' : 'Failure',
    ...(event.reason !== null && { status_detail: event.reason }),
    actor: {
      // Only a refused credential has no subject (nothing in it can be trusted); OCSF
      // requires an actor, and the one left to name is the service that refused it.
      ...(event.actor.sub !== null ? { user: { uid: event.actor.sub } } : { app_name: 'fieldguard' }),
      ...(event.actor.tokenId !== null && { session: { uid: event.actor.tokenId } }),
    },
    api: {
      operation: event.action,
      service: { name: 'fieldguard' },
      ...(event.requestId !== null && { request: { uid: event.requestId } }),
    },
    // API Activity requires a source. Operator tools (channel cli) run on a host and
    // reach the database directly, with no client address: the channel names the source.
    src_endpoint: event.clientIp !== null ? { ip: event.clientIp } : { name: event.channel },
    ...(event.userAgent !== null && { http_request: { user_agent: event.userAgent } }),
    // OCSF identifies a resource by uid or name; an event that names no record (an
    // empty list, a refused create, a token check) has no resource to list. The type
    // it was about is always in unmapped.resource_type.
    ...(event.resourceIds.length > 0 && { resources: event.resourceIds.map((uid) => ({ uid, type: event.resourceType })) }),
    metadata: {
      uid: event.eventId,
      version: OCSF_VERSION,
      product: { name: 'fieldguard', vendor_name: 'fieldguard' },
      original_time: event.occurredAt,
    },
    unmapped: {
      seq: event.seq,
      channel: event.channel,
      resource_type: event.resourceType,
      actor_roles: event.actor.roles,
      fields: event.fields,
      purpose: event.purpose,
      policy_version: event.policyVersion,
      details: event.details,
      prev_hash: event.prevHash,
      hash: event.hash,
    },
  };
}
