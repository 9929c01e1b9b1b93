import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/audit/delivery/backoff.js';
import { bulkOutcome, elasticBody, splunkBody } from '../../src/audit/delivery/http-bodies.js';
import { redactUrl, subjectFor } from '../../src/audit/delivery/nats-sink.js';
import type { OutgoingEvent } from '../../src/audit/delivery/sink.js';

const event = (seq: number, action = 'read'): OutgoingEvent => ({
  seq: String(seq),
  eventId: `id-${seq}`,
  action,
  occurredAt: '2026-12-03T21:00:00.250Z',
  json: JSON.stringify({ n: seq }),
});

describe('audit delivery shapes', () => {
  it('puts each action in one subject token', () => {
    expect(subjectFor('fieldguard.audit', 'export.completed')).toBe('fieldguard.audit.export_completed');
    expect(subjectFor('fieldguard.audit', 'access.break_glass')).toBe('fieldguard.audit.access_break_glass');
    expect(subjectFor('a', 'we ird>*')).toBe('a.we_ird__');
  });

  it('builds a Splunk HEC batch: one envelope per line, the event verbatim, its own time in seconds', () => {
    const body = splunkBody([event(1), event(2)], 'fieldguard:audit:ocsf');
    expect(body.split('\n').map((l) => JSON.parse(l))).toEqual([
      { time: 1796331600.25, source: 'fieldguard', sourcetype: 'fieldguard:audit:ocsf', event: { n: 1 } },
      { time: 1796331600.25, source: 'fieldguard', sourcetype: 'fieldguard:audit:ocsf', event: { n: 2 } },
    ]);
  });

  it('builds an Elastic _bulk batch of create actions keyed by event id', () => {
    expect(elasticBody([event(1)], 'fg-audit')).toBe('{"create":{"_index":"fg-audit","_id":"id-1"}}\n{"n":1}\n');
  });

  it('counts a _bulk answer: a 409 was stored before; the first other refusal stops the ack there', () => {
    expect(bulkOutcome({ errors: false, items: [] }, 3)).toEqual({ stored: 3 });
    expect(bulkOutcome({ errors: true, items: [{ create: { status: 201 } }, { create: { status: 409 } }, { create: { status: 201 } }] }, 3)).toEqual({ stored: 3 });
    expect(bulkOutcome({ errors: true, items: [{ create: { status: 201 } }, { create: { status: 429, error: { type: 'es_rejected_execution_exception' } } }] }, 2)).toEqual({
      stored: 1,
      failed: 'item 1 status 429 es_rejected_execution_exception',
    });
  });

  it('backs off exponentially up to the cap, jittered between half and all of it', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 100, 1_000, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect([1, 2, 10].map((n) => backoffMs(n, 100, 1_000, () => 0))).toEqual([50, 100, 500]);
  });

  it('drops credentials from a URL it names', () => {
    expect(redactUrl('nats://user:secret@nats.example:4222')).toBe('nats://nats.example:4222');
  });
});
