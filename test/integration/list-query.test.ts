import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/data/demo-data.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const list = async (sub: string, role: string, query: string) =>
  t.http({ url: `/v1/customers?${query}`, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });
const names = (res: { json: () => { items: Array<{ fullName: string }> } }) => res.json().items.map((c) => c.fullName);

describe('filters', () => {
  it('match exactly on a field the caller reads in clear, in REST and GraphQL', async () => {
    const res = await list('carol', 'manager', `filter[email]=${encodeURIComponent('giulia.marchetti@example.com')}`);
    expect(res.statusCode).toBe(200);
    expect(names(res)).toEqual(['Giulia Marchetti']);
    const gql = await graphql(t.app, await t.token('carol', 'manager'), `{ customers(filter: [{ field: "marketingOptOut", equals: "true" }]) { nodes { fullName } } }`);
    expect(gql.body.data!.customers.nodes.map((n: { fullName: string }) => n.fullName).sort()).toEqual(['Hannah Becker', 'Luca Bernardi']);
  });

  it('are refused on masked or withheld fields, naming the field (REST and GraphQL)', async () => {
    const agent = await list('alice', 'agent', 'filter[iban]=IT60X0542811101000000123456');
    expect(agent.statusCode).toBe(400);
    expect(agent.json()).toMatchObject({ code: 'FIELD_NOT_QUERYABLE', fields: ['iban'] });
    const assistant = await list('dora', 'assistant', `filter[email]=${encodeURIComponent('giulia.marchetti@example.com')}`);
    expect(assistant.json()).toMatchObject({ code: 'FIELD_NOT_QUERYABLE', fields: ['email'] });
    const gql = await graphql(t.app, await t.token('dora', 'assistant'), `{ customers(filter: [{ field: "phone", equals: "+39 347 123 4567" }]) { nodes { id } } }`);
    expect(gql.body.errors?.[0].extensions).toMatchObject({ code: 'FIELD_NOT_QUERYABLE', fields: ['phone'] });
  });

  it('only match records where the field is clear when that depends on the record', async () => {
    // alice reads phones clear only on customers assigned to her.
    const mine = await list('alice', 'agent', `filter[phone]=${encodeURIComponent('+39 335 700 8090')}`);
    expect(names(mine)).toEqual(['Vittoria Colonna']);
    const masked = await list('alice', 'agent', `filter[phone]=${encodeURIComponent('+39 347 123 4567')}`);
    expect(masked.statusCode).toBe(200);
    expect(names(masked)).toEqual([]);
  });

  it('reject unknown fields and unknown parameters', async () => {
    expect((await list('carol', 'manager', 'filter[shoeSize]=42')).statusCode).toBe(400);
    expect((await list('carol', 'manager', 'colour=red')).statusCode).toBe(400);
  });
});

describe('sorting', () => {
  const managerSees = DEMO_CUSTOMERS.filter((c) => c.privacyLevel !== 'confidential').map((c) => c.fullName);

  it('orders by a clear field, both directions, and pages through without loss', async () => {
    const desc = await list('carol', 'manager', 'sort=-fullName&limit=100');
    expect(names(desc)).toEqual([...managerSees].sort((a, b) => (a < b ? 1 : -1)));
    const seen: string[] = [];
    let cursor = '';
    do {
      const res = await list('carol', 'manager', `sort=fullName&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...names(res));
      cursor = res.json().nextCursor ?? '';
    } while (cursor);
    expect(seen).toEqual([...managerSees].sort());
  });

  it('is refused on a field the caller cannot read in clear, and on unsortable fields', async () => {
    const withheld = await list('dora', 'assistant', 'sort=updatedAt');
    expect(withheld.json()).toMatchObject({ code: 'FIELD_NOT_QUERYABLE', fields: ['updatedAt'] });
    expect((await list('carol', 'manager', 'sort=phone')).json().code).toBe('VALIDATION_FAILED');
  });

  it('rejects a cursor issued for another sort order', async () => {
    const first = await list('carol', 'manager', 'sort=fullName&limit=2');
    const other = await list('carol', 'manager', `sort=createdAt&limit=2&cursor=${first.json().nextCursor}`);
    expect(other.json().code).toBe('INVALID_CURSOR');
  });
});

describe('sorting on a field that is clear only on some records', () => {
  it('is refused, since the order would reveal the masked values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldguard-sort-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        'resources:',
        '  Customer:',
        '    fields: { id: { class: system }, fullName: { class: identity, mask: initials }, createdAt: { class: system }, assignees: { class: system } }',
        'roles:',
        '  agent:',
        '    can:',
        '      - { actions: [read], subject: Customer, fields: [id, createdAt] }',
        '      - { actions: [read_masked], subject: Customer, fields: [fullName] }',
        '      - { actions: [read], subject: Customer, fields: [fullName], when: { assignees: { contains: $principal.sub } } }',
      ].join('\n'),
    );
    const other = await startTestApp({ POLICY_FILE: file });
    try {
      const headers = { authorization: `Bearer ${await other.token('alice', 'agent')}` };
      const res = await other.http({ url: '/v1/customers?sort=fullName', headers });
      expect(res.json()).toMatchObject({ code: 'FIELD_NOT_QUERYABLE', fields: ['fullName'] });
      const filtered = await other.http({ url: `/v1/customers?filter[fullName]=${encodeURIComponent('Vittoria Colonna')}`, headers });
      expect(filtered.json().items.map((c: { fullName: string }) => c.fullName)).toEqual(['Vittoria Colonna']);
      const maskedRow = await other.http({ url: `/v1/customers?filter[fullName]=${encodeURIComponent('Giulia Marchetti')}`, headers });
      expect(maskedRow.json().items).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
