import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const list = async (query: string, sub = 'carol', role = 'manager') =>
  t.http({ url: `/v1/customers?${query}`, headers: { authorization: `Bearer ${await t.token(sub, role)}` } });

/** Query string, who asks, and the parameter the 400 must name. */
const cases: Array<[string, string, [string, string], string, string]> = [
  ['Swagger UI\'s old pre-fill of the filter object', 'filter[additionalProp1]=string', ['carol', 'manager'], 'VALIDATION_FAILED', 'filter[additionalProp1]'],
  ['a filter on a field the caller reads masked', 'filter[iban]=IT60X0542811101000000123456', ['alice', 'agent'], 'FIELD_NOT_QUERYABLE', 'filter[iban]'],
  ['a bad marketingOptOut value', 'filter[marketingOptOut]=maybe', ['carol', 'manager'], 'VALIDATION_FAILED', 'filter[marketingOptOut]'],
  ['an unknown sort field', 'sort=shoeSize', ['carol', 'manager'], 'VALIDATION_FAILED', 'sort'],
  ['a sort on a field the caller cannot read in clear', 'sort=updatedAt', ['dora', 'assistant'], 'FIELD_NOT_QUERYABLE', 'sort'],
  ['an unknown parameter', 'colour=red', ['carol', 'manager'], 'VALIDATION_FAILED', 'colour'],
  ['a limit out of range', 'limit=500', ['carol', 'manager'], 'VALIDATION_FAILED', 'limit'],
  ['a filter value too long', `filter[email]=${'x'.repeat(201)}`, ['carol', 'manager'], 'VALIDATION_FAILED', 'filter[email]'],
];

describe('a 400 on a list names the query parameter at fault', () => {
  it.each(cases)('%s', async (_name, query, [sub, role], code, parameter) => {
    const res = await list(query, sub, role);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe(code);
    expect(problem.errors).toEqual([{ in: 'query', parameter, detail: expect.any(String) }]);
    expect(problem).not.toHaveProperty('argument');
  });

  it('says it in the detail too, for schema refusals', async () => {
    expect((await list('colour=red')).json().detail).toBe('The query parameter colour is not allowed.');
    expect((await list('limit=500')).json().detail).toBe('The query parameter limit must be <= 100.');
  });

  it('points into the body for a body that is not an object', async () => {
    const res = await t.http({ method: 'POST', url: '/v1/customers', headers: { authorization: `Bearer ${await t.token('root', 'admin')}` }, payload: [1] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ pointer: '', detail: 'must be object' }]);
  });

  it('bounds a hostile parameter name', async () => {
    const res = await list(`${'p'.repeat(5000)}=1`);
    expect(res.json().errors[0].parameter.length).toBeLessThan(120);
  });
});
