import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { toEcs } from '../../src/audit/formats/ecs.js';
import { toOcsf } from '../../src/audit/formats/ocsf.js';
import { loadEcsFields, validateEcsDocument } from '../helpers/ecs-validate.js';
import { loadOcsfSchema } from '../helpers/ocsf-schema.js';
import { validateOcsfEvent } from '../helpers/ocsf-validate.js';

// The standards checks on their own: the validators catch what they claim to catch
// (so an empty problem list in the feed test means something), and the formatters
// pass them on rows shaped like every kind the trail holds, edge values included.

const ocsfSchema = loadOcsfSchema();
const ecsFields = loadEcsFields();

const row: AuditEvent = {
  seq: '7',
  eventId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  occurredAt: '2026-11-23T20:15:30.123Z',
  actor: { sub: 'alice', roles: ['agent'], tokenId: 'jti-7' },
  channel: 'rest',
  action: 'read',
  resourceType: 'Customer',
  resourceIds: ['0b6a4c1e-2f4d-4d2a-9c57-1f0e8a1b2c3d'],
  fields: { clear: ['id'], masked: ['phone'], withheld: ['iban'], written: [] },
  outcome: 'allowed',
  reason: null,
  requestId: 'req-1',
  purpose: 'ticket #4711',
  clientIp: '::ffff:10.0.0.7',
  userAgent: 'crm/1.0',
  policyVersion: 'ab'.repeat(32),
  details: null,
  prevHash: '0'.repeat(64),
  hash: 'f'.repeat(64),
};

const ACTIONS = ['read', 'list', 'create', 'update', 'delete', 'export', 'export.records', 'export.completed', 'export.aborted', 'audience', 'upload', 'download', 'authenticate', 'verify', 'report', 'preview', 'reload', 'replay', 'access_review', 'access_review.attested', 'checkpoint', 'anomaly.bulk_access', 'subject.erased', 'subject.hold', 'subject.released', 'subject.access_report', 'retention.applied', 'inventory', 'retention.dry_run', 'incident.scope'];
const EDGES: Array<[string, Partial<AuditEvent>]> = [
  ['denied with a reason', { outcome: 'denied', reason: 'Bulk export is reserved for administrators.' }],
  ['no record named', { resourceIds: [] }],
  ['a refused credential', { actor: { sub: null, roles: [], tokenId: null }, outcome: 'denied', reason: 'expired' }],
  ['an operator tool', { channel: 'cli', clientIp: null, userAgent: 'fieldguard-cli', actor: { sub: 'cli:ops', roles: [], tokenId: null } }],
  ['no request id, user agent or token id', { requestId: null, userAgent: null, actor: { sub: 'bob', roles: [], tokenId: null } }],
  ['a hostile id recorded as a digest', { resourceIds: ['invalid:0123456789abcdef'] }],
];
const rows = ACTIONS.flatMap((action) => EDGES.map(([edge, change]) => [`${action}, ${edge}`, { ...row, action, ...change }] as const));

describe('the formatters on every kind of row', () => {
  it.each(rows)('OCSF: %s', (_name, event) => expect(validateOcsfEvent(ocsfSchema, toOcsf(event))).toEqual([]));
  it.each(rows)('ECS: %s', (_name, event) => expect(validateEcsDocument(ecsFields, toEcs(event), 'fieldguard')).toEqual([]));
});

describe('the OCSF validator', () => {
  const valid = toOcsf(row);
  const problemsOf = (change: (e: Record<string, any>) => void) => {
    const event = structuredClone(valid);
    change(event);
    return validateOcsfEvent(ocsfSchema, event);
  };

  it.each([
    ['a missing required attribute', (e: any) => delete e.severity_id, /^severity_id: required/],
    ['a missing required object attribute', (e: any) => delete e.metadata.product.vendor_name, /^metadata\.product\.vendor_name: required/],
    ['an attribute the class lacks', (e: any) => (e.seq = 7), /^seq: not an attribute of api_activity/],
    ['a profile attribute without the profile', (e: any) => (e.cloud = { provider: 'x' }), /^cloud: not an attribute/],
    ['a wrong type', (e: any) => (e.time = e.metadata.original_time), /^time: .* is not a long_t/],
    ['a wrong type in an object', (e: any) => (e.actor.user.uid = 5), /^actor\.user\.uid: 5 is not a string_t/],
    ['a value failing its type regex', (e: any) => (e.src_endpoint.ip = 'not an ip'), /^src_endpoint\.ip: .* does not match ip_t/],
    ['an undefined enum value', (e: any) => (e.status_id = 7), /^status_id: 7 is not one of/],
    ['a sibling that is not the caption', (e: any) => (e.severity = 'Low'), /^severity: "Low" is not the caption of severity_id 1/],
    ['Other with the caption as its label', (e: any) => Object.assign(e, { activity_id: 99, activity_name: 'Other', type_uid: 600399, type_name: 'API Activity: Other' }), /^activity_name: with activity_id 99/],
    ['a type_uid off its class and activity', (e: any) => Object.assign(e, { type_uid: 600301, type_name: 'API Activity: Create' }), /^type_uid: 600301 is not class_uid \* 100 \+ activity_id/],
    ['a resource with neither uid nor name', (e: any) => (e.resources = [{ type: 'Customer' }]), /^resources\[0\]: resource_details needs at least one of name, uid/],
    ['an actor that names nobody', (e: any) => (e.actor = {}), /^actor: actor needs at least one of/],
    ['an array where one value belongs', (e: any) => (e.actor.user = [e.actor.user]), /^actor\.user: expected a user object/],
    ['a single value where an array belongs', (e: any) => (e.resources = e.resources[0]), /^resources: expected an array/],
    ['another class', (e: any) => (e.class_uid = 3002), /^class_uid: 3002 is not one of 6003/],
  ])('catches %s', (_name, change, problem) => {
    expect(problemsOf(change)).toContainEqual(expect.stringMatching(problem));
  });
});

describe('the ECS validator', () => {
  const valid = toEcs(row);
  const problemsOf = (change: (d: Record<string, any>) => void, namespace = 'fieldguard') => {
    const doc = structuredClone(valid);
    change(doc);
    return validateEcsDocument(ecsFields, doc, namespace);
  };

  it.each([
    ['a field ECS does not define', (d: any) => (d.event.colour = 'red'), /^event\.colour: not an ECS 9\.0\.0 field/],
    ['a field set that is not vendored', (d: any) => (d.host = { name: 'x' }), /^host\.name: ECS field set host is not vendored/],
    ['a wrong type', (d: any) => (d.source.ip = 'not an ip'), /^source\.ip: .* is not an ECS ip/],
    ['an array ECS does not expect', (d: any) => (d.event.kind = ['event']), /^event\.kind: ECS does not normalise/],
    ['a single value where ECS wants an array', (d: any) => (d.event.category = 'api'), /^event\.category: ECS expects an array/],
    ['a value that is not allowed', (d: any) => (d.event.type = ['access', 'granted']), /^event\.type: "granted" is not an allowed value/],
    ['a type the category does not expect', (d: any) => (d.event.category = ['authentication']), /^event\.type: "access" is not expected with event\.category "authentication"/],
    ['a missing required field', (d: any) => delete d['@timestamp'], /^@timestamp: required by ECS/],
  ])('catches %s', (_name, change, problem) => {
    expect(problemsOf(change)).toContainEqual(expect.stringMatching(problem));
  });

  it('refuses a custom namespace that is an ECS field set', () => {
    expect(validateEcsDocument(ecsFields, toEcs(row), 'user')).toContainEqual(expect.stringMatching(/^user: is an ECS field set/));
  });
});
