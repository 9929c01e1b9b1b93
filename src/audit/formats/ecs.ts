import type { AuditEvent } from '../audit-event.js';
import { BREAK_GLASS } from './ocsf.js';

/** The ECS version these documents follow (the `api` event category is in it). */
export const ECS_VERSION = '9.0.0';

/**
 * One audit event as an Elastic Common Schema document.
 *
 * Category `api`: each event is a call to our REST or GraphQL API, and `api` is the ECS
 * category whose expected types include `access`, `allowed` and `denied` together
 * (`database` and `web` lack allowed/denied; `iam` is about accounts, not data access).
 * Our extras live under the `fieldguard` namespace, as ECS asks of custom fields.
 * Absent values are omitted rather than sent as null.
 */
export function toEcs(event: AuditEvent): Record<string, unknown> {
  const allowed = event.outcome === 'allowed';
  return {
    '@timestamp': event.occurredAt,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      category: ['api'],
      type: ['access', allowed ? 'allowed' : 'denied'],
      outcome: allowed ? 'success' : 'failure',
      id: event.eventId,
      action: event.action,
      ...(event.reason !== null && { reason: event.reason }),
      dataset: 'fieldguard.audit',
      provider: 'fieldguard',
      // ECS leaves the scale to the source: OCSF's ids (4 High for break-glass, 2 Low for a refusal, 1).
      severity: event.action === BREAK_GLASS ? 4 : allowed ? 1 : 2,
    },
    user: { ...(event.actor.sub !== null && { id: event.actor.sub }), roles: event.actor.roles },
    ...(event.clientIp !== null && { source: { ip: event.clientIp } }),
    ...(event.userAgent !== null && { user_agent: { original: event.userAgent } }),
    ...(event.requestId !== null && { trace: { id: event.requestId } }),
    service: { name: 'fieldguard' },
    fieldguard: {
      seq: event.seq,
      channel: event.channel,
      token_id: event.actor.tokenId,
      resource: { type: event.resourceType, ids: event.resourceIds },
      fields: event.fields,
      purpose: event.purpose,
      policy_version: event.policyVersion,
      details: event.details,
      prev_hash: event.prevHash,
      hash: event.hash,
    },
  };
}
