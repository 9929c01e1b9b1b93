import type { AuditContext } from '../audit/audit-event.js';
import type { Principal } from '../auth/principal.js';
import type { PrincipalStatusStore } from '../auth/principal-status.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { ListCursors } from '../core/list-cursor.js';
import { RecentReads } from '../core/recent-reads.js';
import type { RequestContext } from '../core/request-context.js';
import type { Db } from '../data/database.js';
import { AppError } from '../errors.js';
import { GrantStore } from '../core/access-grants.js';
import type { PolicyStore } from '../policy/policy-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    policyStore: PolicyStore;
    auditWriter: AuditWriter;
  }
  interface FastifyRequest {
    /** The core's view of this request; the ability is built on first use, once. */
    guardContext(channel: 'rest' | 'graphql'): RequestContext;
  }
}

export const clip = (value: string | undefined, max: number) =>
  // Control characters would let a caller forge lines in downstream log viewers.
  value ? value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max) : null;

/**
 * Header text as the client wrote it. Node reads header bytes as latin-1, so
 * `curl -H 'X-Purpose: Prüfung'` (UTF-8 on the wire) arrives as `PrÃ¼fung`; bytes that
 * form valid UTF-8 are read as UTF-8, anything else stays latin-1.
 */
export function headerText(value: string | undefined): string | undefined {
  if (value === undefined || !/[\u0080-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** The request facts every audit event carries, for a verified principal or none. */
export function auditContextOf(
  request: FastifyRequest,
  channel: AuditContext['channel'],
  principal: Principal | null,
  policyVersion: string,
): AuditContext {
  return {
    principal,
    channel,
    requestId: request.id,
    purpose: clip(headerText(request.headers['x-purpose'] as string | undefined), 200),
    clientIp: request.ip ?? null,
    userAgent: clip(headerText(request.headers['user-agent']), 512),
    policyVersion,
  };
}

interface GuardOptions {
  db: Db;
  policyStore: PolicyStore;
  auditWriter: AuditWriter;
  cursors: ListCursors;
  principalStatus: PrincipalStatusStore;
  /** The clock access grants are judged by (tests move it). */
  clock?: () => number;
  metrics?: RequestContext['metrics'];
  exportChunk?: number;
}

async function guardPlugin(app: FastifyInstance, options: GuardOptions) {
  app.decorate('db', options.db);
  app.decorate('policyStore', options.policyStore);
  app.decorate('auditWriter', options.auditWriter);
  const contexts = new WeakMap<FastifyRequest, RequestContext>();
  const recentReads = new RecentReads();
  const grantStore = new GrantStore(options.db, options.clock);
  // Before the handler, so rendering (synchronous) finds the caller's grants in memory.
  // Only a person whose roles may ask for grants costs anything here.
  // GraphQL loads them after validation instead (graphql.plugin.ts): a query its limits
  // refuse runs no SQL at all.
  app.addHook('preHandler', async (request) => {
    const principal = request.principal;
    if (request.routeOptions.url === '/graphql') return;
    if (principal && GrantStore.mayHoldGrants(app.policyStore.current.policy, principal)) await grantStore.refresh(principal.sub);
  });
  app.decorateRequest('guardContext', function (this: FastifyRequest, channel: 'rest' | 'graphql') {
    const cached = contexts.get(this);
    if (cached) return cached;
    const principal = this.principal;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'A bearer token is required.');
    // One policy snapshot per request: a reload mid-request cannot mix two versions.
    const { policy } = app.policyStore.current;
    const context: RequestContext = {
      db: app.db,
      log: this.log,
      policy,
      policyStore: app.policyStore,
      auditWriter: app.auditWriter,
      recentReads,
      cursors: options.cursors,
      principalStatus: options.principalStatus,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.exportChunk ? { exportChunk: options.exportChunk } : {}),
      principal,
      ability: app.policyStore.abilityFor(policy, principal),
      grantStore,
      audit: auditContextOf(this, channel, principal, policy.version),
    };
    contexts.set(this, context);
    return context;
  });
}

export default fp(guardPlugin, { name: 'guard' });
