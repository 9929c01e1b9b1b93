import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuditWriter } from '../audit/audit-writer.js';
import { AppError } from '../errors.js';
import { clip } from '../plugins/guard.plugin.js';

/** Writes the audit row for a refused credential; throws AUDIT_UNAVAILABLE if it cannot. */
export type AuthFailureRecorder = (request: FastifyRequest, failure: AppError) => Promise<void>;

/**
 * Every presented credential that fails verification is an access decision, so it goes
 * into the trail like any other denial. The actor is null: nothing in a token that failed
 * verification can be trusted, so none of it (not even the claimed `sub`) is recorded;
 * the reason is our own wording (expired, wrong audience, ...), never token content.
 */
export function createAuthFailureAudit(writer: AuditWriter, policyVersion: () => string): AuthFailureRecorder {
  return async (request, failure) => {
    const eventId = randomUUID();
    try {
      await writer.write({
        eventId,
        occurredAt: new Date(),
        actorSub: null,
        actorRoles: [],
        actorTokenId: null,
        channel: request.url.startsWith('/graphql') ? 'graphql' : 'rest',
        action: 'authenticate',
        resourceType: 'AccessToken',
        resourceIds: [],
        fieldsClear: [],
        fieldsMasked: [],
        fieldsWithheld: [],
        fieldsWritten: [],
        outcome: 'denied',
        reason: failure.message,
        requestId: request.id,
        purpose: clip(request.headers['x-purpose'] as string | undefined, 200),
        clientIp: request.ip ?? null,
        userAgent: clip(request.headers['user-agent'], 512),
        policyVersion: policyVersion(),
        details: { code: failure.code },
      });
    } catch (err) {
      request.log.error({ err: { code: (err as { code?: string }).code, type: (err as Error).name } }, 'audit write failed');
      // Fail closed here too: an unrecorded refusal must not look like an ordinary 401.
      throw new AppError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; the request was refused.');
    }
    request.log.info({ audit: true, eventId, actor: null, action: 'authenticate', outcome: 'denied', code: failure.code }, 'audit event');
  };
}
