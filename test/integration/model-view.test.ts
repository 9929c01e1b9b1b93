import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const model = async (sub: string, ...roles: string[]) => {
  const res = await t.http({ url: '/v1/model', headers: { authorization: `Bearer ${await t.token(sub, ...roles)}` } });
  expect(res.statusCode).toBe(200);
  return res.json();
};

describe('GET /v1/model', () => {
  it('needs a token', async () => {
    expect((await t.http({ url: '/v1/model' })).statusCode).toBe(401);
  });

  it('lists the resources an assistant may read and opens no admin screen', async () => {
    const body = await model('rita', 'assistant');
    expect(body.resources.map((r: { name: string }) => r.name)).toEqual(['Customer', 'Booking', 'Document']);
    expect(body.you).toEqual({ sub: 'rita', roles: ['assistant'], may: { listPeople: false, managePeople: false, readActivity: false, readPolicy: false, previewPolicy: false, replayPolicy: false, readSubjects: false, eraseSubjects: false, holdSubjects: false, readInventory: false, readIncidents: false, accessReview: false } });
    const customer = body.resources[0];
    expect(customer).toMatchObject({ plural: 'customers', idField: 'id', listable: true, parent: null });
    expect(customer.fields.find((f: { name: string }) => f.name === 'iban')).toEqual({ name: 'iban', type: 'string', class: 'financial', ref: null });
    expect(body.resources[1]).toMatchObject({ plural: 'bookings', parent: 'Customer' });
    expect(body.resources[1].fields.find((f: { name: string }) => f.name === 'customerId')).toEqual({ name: 'customerId', type: 'ref', class: 'system', ref: 'Customer' });
    expect(body.resources[2]).toMatchObject({ plural: 'documents', listable: false, parent: 'Customer' });
  });

  it('tells an admin the people and activity screens are theirs, an auditor the activity only', async () => {
    expect((await model('olivia', 'admin')).you.may).toEqual({ listPeople: true, managePeople: true, readActivity: true, readPolicy: true, previewPolicy: true, replayPolicy: true, readSubjects: false, eraseSubjects: false, holdSubjects: false, readInventory: false, readIncidents: false, accessReview: true });
    const auditor = await model('aude', 'auditor');
    expect(auditor.you.may).toEqual({ listPeople: false, managePeople: false, readActivity: true, readPolicy: true, previewPolicy: false, replayPolicy: false, readSubjects: false, eraseSubjects: false, holdSubjects: false, readInventory: false, readIncidents: false, accessReview: true });
    expect(auditor.resources).toEqual([]);
  });

  it('opens the privacy screens to the dpo: subject access, erasure, holds, inventory, breach scope', async () => {
    expect((await model('dora', 'dpo')).you.may).toEqual({
      listPeople: true,
      managePeople: false,
      readActivity: true,
      readPolicy: true,
      previewPolicy: false,
      replayPolicy: false,
      readSubjects: true,
      eraseSubjects: true,
      holdSubjects: true,
      readInventory: true,
      readIncidents: true,
      accessReview: true,
    });
  });

  it('reads no data: it runs no SQL', async () => {
    const token = await t.token('rita', 'assistant');
    const before = t.statements();
    expect((await t.http({ url: '/v1/model', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect(t.statements()).toBe(before);
  });
});
