import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let giuliaId: string;
let confidentialId: string;

beforeAll(async () => {
  t = await startTestApp();
  const { rows } = await t.database.query(`select id, full_name from customers`);
  giuliaId = rows.find((r) => r.full_name === 'Giulia Marchetti').id;
  confidentialId = rows.find((r) => r.full_name === 'Vittoria Colonna').id;
});
afterAll(() => t?.close());

const eventsFor = async (requestId: string) =>
  (await t.database.query('select * from audit_events where request_id = $1 order by seq', [requestId])).rows;

describe('one audit event per data request', () => {
  it('records a REST read with actor, purpose, fields and policy version', async () => {
    const token = await t.token('alice', 'agent');
    const res = await t.http({
      url: `/v1/customers/${giuliaId}`,
      headers: { authorization: `Bearer ${token}`, 'x-purpose': 'ticket #4711', 'x-request-id': 'req-audit-1', 'user-agent': 'crm/1.0' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('req-audit-1');
    const [event, ...more] = await eventsFor('req-audit-1');
    expect(more).toHaveLength(0);
    expect(event).toMatchObject({
      actor_sub: 'alice',
      actor_roles: ['agent'],
      channel: 'rest',
      action: 'read',
      resource_type: 'Customer',
      resource_ids: [giuliaId],
      fields_masked: ['phone'],
      outcome: 'allowed',
      purpose: 'ticket #4711',
      user_agent: 'crm/1.0',
      policy_version: t.app.policyStore.current.policy.version,
    });
    expect(event.fields_withheld.sort()).toEqual(['address', 'assignees', 'iban', 'taxId']);
    expect(event.fields_clear).toContain('email');
    expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.client_ip).toBeTruthy();
  });

  it('records a GraphQL list with the ids it returned', async () => {
    const { body } = await graphql(t.app, await t.token('carol', 'manager'), '{ customers(first: 5) { nodes { id } } }');
    const ids = body.data!.customers.nodes.map((n: { id: string }) => n.id);
    const { rows } = await t.database.query(`select * from audit_events where channel = 'graphql' and action = 'list' and actor_sub = 'carol'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].resource_ids).toEqual(ids);
    expect(rows[0].fields_masked.sort()).toEqual(['iban', 'taxId']);
  });

  it('records denials: a 404 on a confidential record and a 403 on export', async () => {
    const headers = { authorization: `Bearer ${await t.token('bob', 'agent')}` };
    await t.http({ url: `/v1/customers/${confidentialId}`, headers: { ...headers, 'x-request-id': 'req-denied-1' } });
    await t.http({ url: '/v1/customers/export', headers: { ...headers, 'x-request-id': 'req-denied-2' } });
    const [notFound] = await eventsFor('req-denied-1');
    expect(notFound).toMatchObject({ outcome: 'denied', action: 'read', resource_ids: [confidentialId], reason: 'Customer not found.' });
    const [forbidden] = await eventsFor('req-denied-2');
    expect(forbidden).toMatchObject({ outcome: 'denied', action: 'export', reason: 'Bulk export is reserved for administrators.' });
  });

  it('records writes with the fields written', async () => {
    const res = await t.http({
      method: 'PATCH',
      url: `/v1/customers/${giuliaId}`,
      payload: { notes: 'Called back.' },
      headers: { authorization: `Bearer ${await t.token('alice', 'agent')}`, 'x-request-id': 'req-write-1' },
    });
    expect(res.statusCode).toBe(200);
    const [event] = await eventsFor('req-write-1');
    expect(event).toMatchObject({ action: 'update', outcome: 'allowed', fields_written: ['notes'], resource_ids: [giuliaId] });
  });
});

describe('append-only in the database', () => {
  it('refuses UPDATE, DELETE and TRUNCATE even from the table owner', async () => {
    await expect(t.database.query(`update audit_events set actor_sub = 'someone-else'`)).rejects.toThrow(/append-only/);
    await expect(t.database.query(`delete from audit_events`)).rejects.toThrow(/append-only/);
    await expect(t.database.query(`truncate audit_events`)).rejects.toThrow(/append-only/);
    const { rows } = await t.database.query(`select count(*)::int as n from audit_events where actor_sub = 'someone-else'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('fail closed', () => {
  it('answers 503 without data, REST and GraphQL, when the audit row cannot be written', async () => {
    // Every new audit row now violates a constraint, as if the audit table were broken.
    await t.database.query(`alter table audit_events add constraint audit_broken check (false) not valid`);
    try {
      const token = await t.token('root', 'admin');
      const res = await t.http({ url: `/v1/customers/${giuliaId}`, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('AUDIT_UNAVAILABLE');
      expect(res.body).not.toContain('Giulia');
      const list = await t.http({ url: '/v1/customers', headers: { authorization: `Bearer ${token}` } });
      expect(list.statusCode).toBe(503);
      expect(list.body).not.toContain('Marchetti');
      const gql = await graphql(t.app, token, `{ customers { nodes { fullName phone } } }`);
      expect(gql.status).toBe(503);
      expect(gql.body.data ?? null).toBeNull();
      expect(JSON.stringify(gql.body)).not.toContain('Marchetti');
      expect(gql.body.errors?.[0].extensions.code).toBe('AUDIT_UNAVAILABLE');
      // A write whose audit row fails is rolled back: no unaudited change.
      const write = await t.http({ method: 'PATCH', url: `/v1/customers/${giuliaId}`, payload: { notes: 'unaudited' }, headers: { authorization: `Bearer ${token}` } });
      expect(write.statusCode).toBe(503);
      const { rows } = await t.database.query('select notes from customers where id = $1', [giuliaId]);
      expect(rows[0].notes).not.toBe('unaudited');
      const exported = await t.http({ url: '/v1/customers/export?format=ndjson', headers: { authorization: `Bearer ${token}` } });
      expect(exported.statusCode).toBe(503);
      expect(exported.body).not.toContain('Marchetti');
    } finally {
      await t.database.query(`alter table audit_events drop constraint audit_broken`);
    }
  });
});

describe('the audit feed', () => {
  it('returns events oldest first with a resumable cursor, to admin and auditor', async () => {
    for (const [sub, role] of [['root', 'admin'], ['eve', 'auditor']]) {
      const headers = { authorization: `Bearer ${await t.token(sub!, role!)}` };
      const all: Array<{ eventId: string; occurredAt: string }> = [];
      let after = '';
      for (;;) {
        const res = await t.http({ url: `/v1/audit/events?limit=3${after ? `&after=${after}` : ''}`, headers });
        expect(res.statusCode).toBe(200);
        const page = res.json();
        if (page.items.length === 0) {
          expect(page.nextCursor).toBe(after || null);
          break;
        }
        all.push(...page.items);
        after = page.nextCursor;
      }
      const { rows } = await t.database.query('select event_id from audit_events order by seq');
      expect(all.map((e) => e.eventId)).toEqual(rows.map((r) => r.event_id));
      expect(all[0]).toMatchObject({ actor: { sub: expect.any(String) }, fields: { clear: expect.any(Array) } });
    }
  });

  it('is refused to other roles (403) and the refusal is itself audited', async () => {
    const res = await t.http({ url: '/v1/audit/events', headers: { authorization: `Bearer ${await t.token('carol', 'manager')}`, 'x-request-id': 'req-feed-denied' } });
    expect(res.statusCode).toBe(403);
    const [event] = await eventsFor('req-feed-denied');
    expect(event).toMatchObject({ resource_type: 'AuditEvent', outcome: 'denied' });
  });
});
