import type { FastifyInstance } from 'fastify';
import { MAX_DECISION_RECORDS } from '../core/decision-input.js';
import { CHECK_ACTIONS, checkRecordsAccess, renderRecords, type CheckAction } from '../core/decisions.service.js';
import { recordJson } from './record-json.js';

// Shapes only; each record is checked against the resource's fields by the core.
const records = { type: 'array', minItems: 1, maxItems: MAX_DECISION_RECORDS, items: { type: 'object' } } as const;
const resource = { type: 'string', minLength: 1, maxLength: 100 } as const;

const renderBody = {
  type: 'object',
  properties: { resource, action: { type: 'string', enum: ['read'] }, records },
  required: ['resource', 'action', 'records'],
  additionalProperties: false,
} as const;

const checkBody = {
  type: 'object',
  properties: { resource, actions: { type: 'array', minItems: 1, maxItems: CHECK_ACTIONS.length, items: { type: 'string', enum: [...CHECK_ACTIONS] } }, records },
  required: ['resource', 'actions', 'records'],
  additionalProperties: false,
} as const;

/** The decisions API: the policy applied to records the caller keeps itself (docs/decisions.md). */
export async function decisionsRoutes(app: FastifyInstance) {
  app.post<{ Body: { resource: string; action: 'read'; records: unknown[] } }>('/v1/decisions/render', { schema: { body: renderBody } }, async (request) => {
    const result = await renderRecords(request.guardContext('rest'), request.body);
    return { items: result.items.map(recordJson), dropped: result.dropped };
  });

  app.post<{ Body: { resource: string; actions: CheckAction[]; records: unknown[] } }>('/v1/decisions/check', { schema: { body: checkBody } }, async (request) =>
    checkRecordsAccess(request.guardContext('rest'), request.body),
  );
}
