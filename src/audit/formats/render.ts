import type { AuditEvent } from '../audit-event.js';
import { toEcs } from './ecs.js';
import { toOcsf } from './ocsf.js';

/** The shapes an event leaves in: ours, OCSF API Activity, or an ECS document. */
export type EventFormat = 'json' | 'ocsf' | 'ecs';

/**
 * One event as the feed serves it in `format`. The feed (GET /v1/audit/events) and the
 * pushed delivery both render through here, so a SIEM gets the same content either way.
 */
export function renderAuditEvent(format: EventFormat, event: AuditEvent): unknown {
  switch (format) {
    case 'json':
      return event;
    case 'ocsf':
      return toOcsf(event);
    case 'ecs':
      return toEcs(event);
  }
}
