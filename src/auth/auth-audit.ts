import type { FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../audit/audit-trail.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { AppError } from '../errors.js';
import type { Principal } from './principal.js';
import { auditContextOf } from '../plugins/guard.plugin.js';

/** Writes the audit row for a refused credential; throws AUDIT_UNAVAILABLE if it cannot. */
export type AuthFailureRecorder = (request: FastifyRequest, failure: AppError, principal: Principal | null) => Promise<void>;

/**
 * Every presented credential that fails verification is an access decision, so it goes
 * into the trail like any other denial. The actor is null: nothing in a token that failed
 * verification can be trusted, so none of it (not even the claimed `sub`) is recorded;
 * the reason is our own wording (expired, wrong audience, ...), never token content.
 * A valid token of a disabled person is the exception: it was verified, so the trail
 * says whose it was (`PRINCIPAL_DISABLED`), as it would for any of their requests.
 */
export function createAuthFailureAudit(writer: AuditWriter, policyVersion: () => string): AuthFailureRecorder {
  return async (request, failure, principal) => {
    await recordAuditEvent(writer, request.log, auditContextOf(request, request.url.startsWith('/graphql') ? 'graphql' : 'rest', principal, policyVersion()), {
      action: 'authenticate',
      resourceType: 'AccessToken',
      resourceIds: [],
      outcome: 'denied',
      reason: failure.message,
      details: { code: failure.code },
    });
  };
}
