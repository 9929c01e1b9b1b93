import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { toEcs } from '../../src/audit/formats/ecs.js';
import { toOcsf } from '../../src/audit/formats/ocsf.js';

// Golden tests: the expected documents are written by hand, never produced by the mappers.
const event: AuditEvent = {
  seq: '42',
  eventId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  occurredAt: '2026-11-23T20:15:30.123Z',
  actor: { sub: 'alice', roles: ['agent'], tokenId: 'jti-7' },
  channel: 'rest',
  action: 'read',
  resourceType: 'Customer',
  resourceIds: ['0b6a4c1e-2f4d-4d2a-9c57-1f0e8a1b2c3d'],
  fields: { clear: ['id', 'fullName'], masked: ['phone'], withheld: ['iban'], written: [] },
  outcome: 'allowed',
  reason: null,
  requestId: 'req-1',
  purpose: 'ticket #4711',
  clientIp: '10.0.0.7',
  userAgent: 'crm/1.0',
  policyVersion: 'ab'.repeat(32),
  details: null,
  prevHash: '0'.repeat(64),
  hash: 'f'.repeat(64),
};

const denied: AuditEvent = {
  ...event,
  action: 'export',
  resourceIds: [],
  outcome: 'denied',
  reason: 'Bulk export is reserved for administrators.',
  actor: { sub: 'bob', roles: ['agent', 'assistant'], tokenId: null },
  requestId: null,
  clientIp: null,
  userAgent: null,
};

describe('OCSF API Activity (golden)', () => {
  it('maps an allowed read', () => {
    expect(toOcsf(event)).toEqual({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      category_name: 'Application Activity',
      activity_id: 2,
      activity_name: 'Read',
      type_uid: 600302,
      type_name: 'API Activity: Read',
      time: 1795464930123, // 20780 days * 86400 + 72930 s, in ms
      severity_id: 1,
      severity: 'Informational',
      status_id: 1,
      status: 'Success',
      actor: { user: { uid: 'alice' }, session: { uid: 'jti-7' } },
      api: { operation: 'read', service: { name: 'fieldguard' }, request: { uid: 'req-1' } },
      src_endpoint: { ip: '10.0.0.7' },
      http_request: { user_agent: 'crm/1.0' },
      resources: [{ uid: '0b6a4c1e-2f4d-4d2a-9c57-1f0e8a1b2c3d', type: 'Customer' }],
      metadata: {
        uid: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
        version: '1.3.0',
        product: { name: 'fieldguard', vendor_name: 'fieldguard' },
        original_time: '2026-11-23T20:15:30.123Z',
      },
      unmapped: {
        seq: '42',
        channel: 'rest',
        resource_type: 'Customer',
        actor_roles: ['agent'],
        fields: { clear: ['id', 'fullName'], masked: ['phone'], withheld: ['iban'], written: [] },
        purpose: 'ticket #4711',
        policy_version: 'ab'.repeat(32),
        details: null,
        prev_hash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      },
    });
  });

  it('maps a refused export: Read, Failure, reason, no absent attributes', () => {
    const ocsf = toOcsf(denied);
    expect(ocsf).toMatchObject({ activity_id: 2, type_uid: 600302, status_id: 2, status: 'Failure', severity_id: 2 });
    expect(ocsf.status_detail).toBe('Bulk export is reserved for administrators.');
    expect(ocsf.actor).toEqual({ user: { uid: 'bob' } });
    expect(ocsf.api).toEqual({ operation: 'export', service: { name: 'fieldguard' } });
    // No record named: no resource (OCSF needs a uid or name), the type stays in unmapped.
    expect(ocsf).not.toHaveProperty('resources');
    expect(ocsf.unmapped).toMatchObject({ resource_type: 'Customer' });
    // No client address, but API Activity requires a source: the channel names it.
    expect(ocsf.src_endpoint).toEqual({ name: 'rest' });
    expect(ocsf).not.toHaveProperty('http_request');
  });

  it('maps every action onto its activity', () => {
    const ids = ['read', 'list', 'export', 'create', 'update', 'delete', 'checkpoint'].map((action) => {
      const o = toOcsf({ ...event, action });
      return [o.activity_id, o.type_uid];
    });
    expect(ids).toEqual([[2, 600302], [2, 600302], [2, 600302], [1, 600301], [3, 600303], [4, 600304], [99, 600399]]);
  });

  it('names an Other (99) activity by our own action, as OCSF asks', () => {
    expect(toOcsf({ ...event, action: 'export.completed' })).toMatchObject({ activity_id: 99, activity_name: 'export.completed', type_name: 'API Activity: Other' });
  });
});

describe('ECS (golden)', () => {
  it('maps an allowed read', () => {
    expect(toEcs(event)).toEqual({
      '@timestamp': '2026-11-23T20:15:30.123Z',
      ecs: { version: '9.0.0' },
      event: {
        kind: 'event',
        category: ['api'],
        type: ['access', 'allowed'],
        outcome: 'success',
        id: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
        action: 'read',
        dataset: 'fieldguard.audit',
        provider: 'fieldguard',
        severity: 1,
      },
      user: { id: 'alice', roles: ['agent'] },
      source: { ip: '10.0.0.7' },
      user_agent: { original: 'crm/1.0' },
      trace: { id: 'req-1' },
      service: { name: 'fieldguard' },
      fieldguard: {
        seq: '42',
        channel: 'rest',
        token_id: 'jti-7',
        resource: { type: 'Customer', ids: ['0b6a4c1e-2f4d-4d2a-9c57-1f0e8a1b2c3d'] },
        fields: { clear: ['id', 'fullName'], masked: ['phone'], withheld: ['iban'], written: [] },
        purpose: 'ticket #4711',
        policy_version: 'ab'.repeat(32),
        details: null,
        prev_hash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      },
    });
  });

  it('maps a refusal: denied, failure, reason, no absent fields', () => {
    const ecs = toEcs(denied);
    expect(ecs.event).toMatchObject({ type: ['access', 'denied'], outcome: 'failure', action: 'export', reason: 'Bulk export is reserved for administrators.' });
    expect(ecs.user).toEqual({ id: 'bob', roles: ['agent', 'assistant'] });
    expect(ecs).not.toHaveProperty('source');
    expect(ecs).not.toHaveProperty('user_agent');
    expect(ecs).not.toHaveProperty('trace');
  });
});

describe('severity', () => {
  it('is High (4) for break-glass in OCSF and ECS, Low (2) for a refusal, Informational (1) otherwise', () => {
    const glass = { ...event, action: 'access.break_glass' };
    expect(toOcsf(glass)).toMatchObject({ severity_id: 4, severity: 'High' });
    expect(toEcs(glass)).toMatchObject({ event: { severity: 4 } });
    expect(toOcsf({ ...event, outcome: 'denied' })).toMatchObject({ severity_id: 2, severity: 'Low' });
    expect(toEcs({ ...event, outcome: 'denied' })).toMatchObject({ event: { severity: 2 } });
    expect(toEcs(event)).toMatchObject({ event: { severity: 1 } });
  });
});
